"""Admin › Teams without JavaScript: list, create on internal storage or the team's own bucket
(proved against a real S3 API server), typed-confirmation delete with the purge date, restore."""

import re
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from server.extensions import db
from server.models import Team
from server.services import licensing, system_settings
from tests.console.helpers import html
from tests.factories import make_team, make_user


def _create(console, **fields):
    return console.post("/admin/teams", {"storage": "internal", **fields})


def _refusal(response) -> str:
    page = html(response)
    return page.split('data-testid="team-refusal">', 1)[1].split("</div>", 1)[0]


def test_create_an_internal_team_and_see_it_listed(admin):
    response = _create(admin, name="ml-research", display_name="ML Research")
    assert response.status_code == 302
    page = html(admin.get("/admin/teams"))
    assert "Team ml-research created with bucket outpost-ml-research." in page
    row = page.split('data-team="ml-research"', 1)[1].split("</tr>", 1)[0]
    assert "ML Research" in row and "<td>1</td>" in row  # the first admin: me
    assert "<code>outpost-ml-research</code>" in row and "internal" in row


def test_member_counts_and_pages(admin, monkeypatch):
    from server.console import admin_teams

    monkeypatch.setattr(admin_teams, "PAGE_SIZE", 1)
    people = [make_user(password=None) for _ in range(3)]
    make_team("alpha", admins=people[:1], members=people[1:])
    make_team("beta")
    page = html(admin.get("/admin/teams"))
    assert 'data-team="alpha"' in page and 'data-team="beta"' not in page
    assert "<td>3</td>" in page
    cursor = re.search(r"/admin/teams\?cursor=([^\"]+)\"", page).group(1)
    assert 'data-team="beta"' in html(admin.get(f"/admin/teams?cursor={cursor}"))


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"name": "Bad Name!"}, 422, "invalid_team_name"),
        ({"name": "lab", "admin": "nobody"}, 404, "user_not_found"),
        ({"name": "taken"}, 409, "team_exists"),
        ({"name": "mine", "storage": "byob", "bucket": "b-b-b"}, 403, "license_required"),
    ],
)
def test_refusals_are_shown_with_the_form_kept(admin, fields, status, code):
    make_team("taken")
    response = _create(admin, display_name="Kept Name", **fields)
    assert response.status_code == status
    # The code is kept for scripts (a data attribute); people read the message, not the code.
    assert f'data-code="{code}" data-testid="team-refusal"' in html(response)
    assert f"({code})" not in _refusal(response)
    assert 'value="Kept Name"' in html(response)


def test_own_bucket_needs_the_license_feature(admin, issue_license):
    page = html(admin.get("/admin/teams"))
    assert 'data-testid="byob-unlicensed"' in page and 'data-testid="byob-fields"' not in page
    assert 'value="byob" disabled' in page
    licensing.install_license(issue_license())
    page = html(admin.get("/admin/teams"))
    assert 'data-testid="byob-fields"' in page


def test_own_bucket_is_proved_before_the_team_exists(admin, issue_license, s3_server):
    licensing.install_license(issue_license())
    boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
        region_name=s3_server.region,
    ).create_bucket(Bucket="acme-byob-console")
    fields = {
        "name": "acme",
        "storage": "byob",
        "provider": "s3",
        "bucket": "acme-byob-console",
        "prefix": "outpost",
        "region": s3_server.region,
        "endpoint": s3_server.endpoint,
        "access_key": s3_server.access_key,
        "secret_key": "the-secret-" + s3_server.secret_key,
    }
    refused = _create(admin, **fields)
    assert refused.status_code == 403
    assert "not on this server&#39;s allowlist" in _refusal(refused)
    assert 'data-code="endpoint_not_allowed"' in html(refused)
    assert "the-secret-" not in html(refused)  # a secret is never sent back to the browser
    assert db.session.query(Team).count() == 0

    system_settings.update_settings({"byob_endpoint_allowlist": [s3_server.endpoint]})
    created = _create(admin, **{**fields, "secret_key": s3_server.secret_key})
    assert created.status_code == 302, _refusal(created)
    page = html(admin.get("/admin/teams"))
    assert "Team acme created on its own bucket acme-byob-console: access verified." in page
    assert "Storage warning for acme:" in page  # the bucket has no versioning or CORS rules
    row = page.split('data-team="acme"', 1)[1].split("</tr>", 1)[0]
    assert "own bucket" in row and "acme-byob-console" in row and "S3" in row
    assert s3_server.secret_key not in page


def test_delete_with_typed_confirmation_then_restore(admin, app):
    make_team("vision", display_name="Vision")
    app.config["OUTPOST_CLOCK"] = lambda: datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
    confirm = html(admin.get("/admin/teams/vision/delete"))
    assert re.search(r"for\s+30 days", confirm)
    purge = '<time datetime="2030-02-09T12:00:00Z">2030-02-09 12:00 UTC</time>'
    assert f'data-testid="purge-date">{purge}<' in confirm
    wrong = admin.post("/admin/teams/vision/delete", {"confirm": "visoin"})
    assert wrong.status_code == 422
    assert "Type the team name (vision) to confirm deletion." in html(wrong)
    done = admin.post("/admin/teams/vision/delete", {"confirm": "vision"})
    assert done.status_code == 302
    page = html(admin.get("/admin/teams"))
    assert "It can be restored until 2030-02-09 12:00 UTC" in page
    deleted = page.split('data-testid="deleted-teams"', 1)[1]
    assert 'data-team="vision"' in deleted and "2030-02-09 12:00 UTC" in deleted
    assert admin.get("/admin/teams/vision/delete").status_code == 404

    admin.post("/admin/teams/vision/restore")
    page = html(admin.get("/admin/teams"))
    assert "Team vision restored" in page
    assert 'data-team="vision"' in page.split('data-testid="deleted-teams"', 1)[0]


def test_restore_after_the_retention_period_is_refused(admin, app):
    make_team("old")
    admin.post("/admin/teams/old/delete", {"confirm": "old"})
    later = datetime.now(UTC) + timedelta(days=31)
    app.config["OUTPOST_CLOCK"] = lambda: later
    admin.post("/admin/teams/old/restore")
    assert "The retention period is over" in html(admin.get("/admin/teams"))
