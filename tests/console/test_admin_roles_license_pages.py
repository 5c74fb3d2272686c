"""Admin › Custom roles and Admin › License without JavaScript: the license gate on roles, each
license refusal with its own message, upload by file or paste, environment-managed licenses."""

import io
from datetime import UTC, datetime, timedelta

import pytest

from server.models import CustomRole
from server.services import licensing, roles
from tests.console.helpers import html, signed_in
from tests.factories import add_member, make_team, make_user

# --- custom roles ----------------------------------------------------------------------------


def test_without_the_feature_roles_are_listed_with_the_reason(admin, issue_license):
    licensing.install_license(issue_license())
    roles.create_role("auditor", "view-only", ["artifact:download"], "Reads runs")
    licensing.remove_license()
    page = html(admin.get("/admin/roles"))
    note = page.split('data-testid="roles-license-note">', 1)[1].split("</div>", 1)[0]
    assert "needs an enterprise license with the custom_roles feature" in note
    assert 'href="/admin/license"' in note
    assert 'data-role="auditor"' in page and "Reads runs" in page
    assert "Create a custom role" not in page
    refused = admin.post("/admin/roles", {"name": "x", "base": "member"})
    assert refused.status_code == 403 and "custom_roles" in html(refused)


def test_create_edit_and_delete_a_role(admin, issue_license):
    licensing.install_license(issue_license())
    created = admin.post(
        "/admin/roles",
        {
            "name": "auditor",
            "base": "view-only",
            "permissions": ["artifact:download"],
            "description": "Read-only plus downloads",
        },
    )
    assert created.status_code == 302
    page = html(admin.get("/admin/roles"))
    assert "Custom role auditor created." in page
    row = page.split('data-role="auditor"', 1)[1].split("</tr>", 1)[0]
    assert "artifact:download" in row and "view-only" in row

    edit = html(admin.get("/admin/roles/auditor"))
    assert 'value="artifact:download" checked' in edit and 'value="run:delete:own">' in edit
    admin.post(
        "/admin/roles/auditor",
        {"name": "auditor", "base": "member", "permissions": ["run:stop"]},
    )
    role = roles.load_role("auditor")
    assert (role.base, role.permissions) == ("member", ["run:stop"])

    holder = make_user(password=None)
    add_member(make_team("lab"), holder, custom_role=role)
    admin.post("/admin/roles/auditor/delete")
    assert "1 member(s) went back to its base role" in html(admin.get("/admin/roles"))
    assert CustomRole.query.count() == 0


def test_role_refusals_are_shown(admin, issue_license):
    licensing.install_license(issue_license())
    bad = admin.post("/admin/roles", {"name": "member", "base": "member"})
    assert bad.status_code == 422 and "may not be a built-in role" in html(bad)
    unknown = admin.post(
        "/admin/roles", {"name": "ops", "base": "member", "permissions": ["system:settings"]}
    )
    assert unknown.status_code == 422 and "Not team permissions" in html(unknown)


def test_the_role_editor_shows_what_the_base_includes_and_offers_only_the_rest(
    admin, issue_license
):
    licensing.install_license(issue_license())
    page = html(admin.get("/admin/roles"))
    # view-only is the default base: what it includes is listed, and not offered as a checkbox.
    shown = page.split('data-base="view-only"', 1)[1].split("</details>", 1)[0]
    assert "<code>run:view</code>" in shown
    offered = page.split('class="checklist"', 1)[1].split("</ul>", 1)[0]
    run_view = offered.split('value="run:view"', 1)[0].rsplit("<li", 1)[1]
    assert 'data-inherited-in="view-only member"' in run_view and " hidden" in run_view
    delete = offered.split('value="run:delete"', 1)[0].rsplit("<li", 1)[1]
    assert "hidden" not in delete
    # Choosing a permission the base already has is refused, saying which one.
    refused = admin.post(
        "/admin/roles", {"name": "ops", "base": "member", "permissions": ["run:view", "run:stop"]}
    )
    assert refused.status_code == 422
    assert "The member role already includes run:view" in html(refused)
    assert CustomRole.query.count() == 0


# --- license ---------------------------------------------------------------------------------


def _upload(console, token=None, file=None, **extra):
    data = {"token": token or "", **extra}
    if file is not None:
        data["file"] = (io.BytesIO(file.encode()), "outpost.license")
    return console.post("/admin/license", data, content_type="multipart/form-data")


def _refusal(response) -> str:
    return html(response).split('data-testid="license-refusal">', 1)[1].split("</section>")[0]


def test_status_of_the_free_edition(admin):
    page = html(admin.get("/admin/license"))
    assert "Free edition" in page and 'data-testid="license-state">unlicensed<' in page
    assert "1 used of unlimited" in page
    assert 'data-testid="license-form"' in page


def test_upload_a_file_then_see_its_status(admin, issue_license):
    token = issue_license(seats=20, customer_name="Acme Research", max_teams=5)
    assert _upload(admin, file=token).status_code == 302
    page = html(admin.get("/admin/license"))
    assert "License installed." in page
    assert "Enterprise edition" in page and 'data-testid="license-state">valid<' in page
    assert "Acme Research" in page and "1 used of 20" in page
    assert "days left" in page and "<dd>5</dd>" in page
    for feature in ("custom_roles", "secure_storage_connector", "view_only"):
        assert f'<span class="chip">{feature}</span>' in page
    assert "Remove the license" in page


@pytest.mark.parametrize(
    ("claims", "title", "code"),
    [
        (
            {"now": datetime.now(UTC) - timedelta(days=400)},
            "This license has expired",
            "expired",
        ),
        (
            {"not_before": datetime.now(UTC) + timedelta(days=3)},
            "This license is not valid yet",
            "not_yet_valid",
        ),
        ({"instance_id": "another-instance"}, "Bound to another instance", "wrong_instance"),
        ({"seats": 0}, "Too few seats for the active users", "insufficient_seats"),
    ],
)
def test_each_refusal_has_its_own_message(admin, issue_license, claims, title, code):
    response = _upload(admin, token=issue_license(**claims))
    assert response.status_code == 422
    refusal = _refusal(response)
    assert f"<strong>{title}.</strong>" in refusal and f"({code})" not in refusal
    assert f'data-code="{code}" data-testid="license-refusal"' in html(response)
    assert licensing.license_source() == "none"


def test_untrusted_and_garbage_tokens(admin):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from license import License
    from license.issue import sign_license
    from tests.fixtures.licenses import ALL_FEATURES, TEST_KID

    now = datetime.now(UTC)
    claims = License(
        license_id="lic_forged",
        customer_name="Forger",
        customer_email="f@example.test",
        issued_at=now,
        not_before=now,
        expires_at=now + timedelta(days=30),
        seats=50,
        max_teams=None,
        features=ALL_FEATURES,
    )
    forged = sign_license(claims, Ed25519PrivateKey.generate(), kid=TEST_KID)
    refused = _upload(admin, token=forged)
    assert "<strong>The signature does not match.</strong>" in _refusal(refused)
    garbage = _upload(admin, token="hello")
    assert "<strong>This is not a license.</strong>" in _refusal(garbage)
    empty = _upload(admin)
    assert "<strong>No license given.</strong>" in _refusal(empty)


def test_older_license_needs_confirmation(admin, issue_license):
    newer = issue_license()
    older = issue_license(now=datetime.now(UTC) - timedelta(days=10))
    _upload(admin, token=newer)
    refused = _upload(admin, token=older)
    assert "<strong>Older than the installed license.</strong>" in _refusal(refused)
    assert _upload(admin, token=older, allow_older="y").status_code == 302


def test_the_page_works_in_every_license_state(admin, app, issue_license):
    _upload(admin, token=issue_license(expires_at=datetime.now(UTC) + timedelta(days=2)))
    assert "expiring soon" in html(admin.get("/admin/license"))
    app.config["OUTPOST_CLOCK"] = lambda: datetime.now(UTC) + timedelta(days=60)
    page = html(admin.get("/admin/license"))
    assert 'data-testid="license-state">expired<' in page and "Free edition" in page
    assert 'data-testid="license-form"' in page  # a renewed license can still be uploaded


def test_remove_the_license(admin, issue_license):
    _upload(admin, token=issue_license())
    admin.post("/admin/license/remove")
    page = html(admin.get("/admin/license"))
    assert "Outpost runs as the free edition" in page
    assert licensing.license_source() == "none"


def test_environment_license_hides_the_upload(make_app, issue_license):
    app = make_app(license=issue_license(customer_name="Env Corp"))
    with app.app_context():
        console = signed_in(app.test_client(), make_user("root", system_admin=True, password=None))
        page = html(console.get("/admin/license"))
        assert 'data-testid="license-env-managed"' in page and "Env Corp" in page
        assert 'data-testid="license-form"' not in page
        refused = _upload(console, token="anything")
        assert "<strong>The license is managed by the environment.</strong>" in _refusal(refused)


def test_the_license_page_says_where_licenses_come_from(admin):
    page = html(admin.get("/admin/license"))
    assert "Where licenses come from" in page and "instance ID" in page
    assert 'data-testid="development-key"' not in page


def test_a_development_signed_license_is_marked(admin, issue_license):
    licensing.install_license(issue_license())  # the tests' key is an extra (development) key
    page = html(admin.get("/admin/license"))
    assert 'data-testid="development-key"' in page
    assert "This license is signed with a development key." in page


def test_a_vendor_signed_license_is_not_marked(app, admin, issue_license, vendor_key):
    from license import KeySet
    from tests.fixtures.licenses import TEST_KID

    # This instance trusts the test key as a bundled vendor key (as a release trusts its own).
    app.extensions["outpost_license_keyset"] = KeySet({TEST_KID: vendor_key[0].public_key()})
    licensing.install_license(issue_license())
    page = html(admin.get("/admin/license"))
    assert 'data-testid="development-key"' not in page
    assert f"the vendor key <code>{TEST_KID}</code>" in page
