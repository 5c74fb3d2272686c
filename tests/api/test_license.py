"""Installing, reading and removing the license through the API; the feature gate and seats."""

from datetime import UTC, datetime, timedelta

import pytest

from server.errors import Conflict, Forbidden, ValidationFailed
from server.services import licensing
from server.services import users as user_service
from tests.factories import bearer, make_key, make_user


@pytest.fixture
def admin_key():
    return make_key(make_user("root", system_admin=True))


def test_free_edition_without_a_license(client, admin_key):
    body = client.get("/api/v1/system/license", headers=bearer(admin_key)).json
    assert body["edition"] == "free" and body["state"] == "unlicensed"
    assert body["seats"] == {"used": 1, "licensed": None}
    with pytest.raises(Forbidden) as refused:
        licensing.require_feature("custom_roles")
    assert refused.value.code == "license_required"
    assert refused.value.details["feature"] == "custom_roles"


def test_install_as_json_unlocks_exactly_its_features(client, admin_key, issue_license):
    token = issue_license(features=frozenset({"custom_roles"}), customer_name="Acme")
    response = client.put(
        "/api/v1/system/license", json={"license": token}, headers=bearer(admin_key)
    )
    assert response.status_code == 200, response.json
    assert response.json["edition"] == "enterprise"
    assert response.json["features"] == ["custom_roles"]
    assert response.json["license"]["customer_name"] == "Acme"
    assert response.json["source"] == "database"
    licensing.require_feature("custom_roles")
    with pytest.raises(Forbidden):
        licensing.require_feature("secure_storage_connector")


def test_install_as_raw_file_body(client, admin_key, issue_license):
    response = client.put(
        "/api/v1/system/license",
        data=issue_license() + "\n",
        headers={**bearer(admin_key), "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200
    assert response.json["state"] == "valid"


def _signed_by_an_untrusted_key(now) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from license import License
    from license.issue import sign_license

    claims = License(
        license_id="lic_forged",
        customer_name="Mallory",
        customer_email="m@example.test",
        issued_at=now,
        not_before=now,
        expires_at=now + timedelta(days=365),
        seats=1000,
        max_teams=None,
        features=frozenset({"custom_roles"}),
    )
    return sign_license(claims, Ed25519PrivateKey.generate(), kid="outpost-test-vendor")


def _tamper(token: str) -> str:
    head, payload, sig = token.split(".")
    return ".".join([head, payload, sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")])


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda issue, now: _tamper(issue()), "bad_signature"),
        (lambda issue, now: _signed_by_an_untrusted_key(now), "bad_signature"),
        (lambda issue, now: "not.a.license", "malformed"),
        (
            lambda issue, now: issue(
                issued_at=now - timedelta(days=400),
                not_before=now - timedelta(days=400),
                expires_at=now - timedelta(days=30),
            ),
            "expired",
        ),
        (
            lambda issue, now: issue(
                issued_at=now + timedelta(days=2), not_before=now + timedelta(days=2)
            ),
            "not_yet_valid",
        ),
        (lambda issue, now: issue(instance_id="another-instance"), "wrong_instance"),
        (lambda issue, now: issue(seats=0), "insufficient_seats"),
    ],
)
def test_refusals_have_their_own_code(client, admin_key, issue_license, build, code):
    token = build(issue_license, datetime.now(UTC))
    response = client.put(
        "/api/v1/system/license", json={"license": token}, headers=bearer(admin_key)
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == code
    assert len(response.json["error"]["message"]) > 20
    status = client.get("/api/v1/system/license", headers=bearer(admin_key)).json
    assert status["state"] == "unlicensed"


def test_older_license_needs_confirmation(client, admin_key, issue_license):
    now = datetime.now(UTC)
    newer = issue_license(issued_at=now - timedelta(hours=1), not_before=now - timedelta(hours=1))
    older = issue_license(issued_at=now - timedelta(days=3), not_before=now - timedelta(days=3))
    headers = bearer(admin_key)
    assert (
        client.put("/api/v1/system/license", json={"license": newer}, headers=headers).status_code
        == 200
    )
    refused = client.put("/api/v1/system/license", json={"license": older}, headers=headers)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "older_license"
    confirmed = client.put(
        "/api/v1/system/license", json={"license": older, "allow_older": True}, headers=headers
    )
    assert confirmed.status_code == 200


def test_only_system_admins_manage_the_license(client, issue_license):
    key = make_key(make_user())
    response = client.put(
        "/api/v1/system/license", json={"license": issue_license()}, headers=bearer(key)
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "permission_denied"


def test_delete_returns_to_free_edition_and_is_audited(client, admin_key, issue_license):
    from sqlalchemy import select

    from server.extensions import db
    from server.models import AuditEvent

    headers = bearer(admin_key)
    client.put("/api/v1/system/license", json={"license": issue_license()}, headers=headers)
    assert client.delete("/api/v1/system/license", headers=headers).status_code == 204
    assert client.get("/api/v1/system/license", headers=headers).json["edition"] == "free"
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "license").order_by(AuditEvent.id)
    ).all()
    assert actions == ["license:install", "license:remove"]


def test_environment_license_wins_and_refuses_uploads(make_app, issue_license):
    app = make_app(license=issue_license(customer_name="From Env"))
    with app.app_context():
        key = make_key(make_user("root", system_admin=True))
        client = app.test_client()
        status = client.get("/api/v1/system/license", headers=bearer(key)).json
        assert status["source"] == "environment" and status["managed_by_environment"]
        assert status["license"]["customer_name"] == "From Env"
        response = client.put(
            "/api/v1/system/license", json={"license": issue_license()}, headers=bearer(key)
        )
        assert response.status_code == 409
        assert response.json["error"]["code"] == "managed_by_environment"
        with pytest.raises(Conflict):
            licensing.remove_license()


def test_license_file_from_the_environment(make_app, issue_license, tmp_path):
    path = tmp_path / "license.jwt"
    path.write_text(issue_license(features=frozenset({"view_only"})) + "\n")
    app = make_app(license_file=str(path))
    with app.app_context():
        licensing.require_feature("view_only")
        assert licensing.license_source() == "environment"


def test_production_trusts_only_the_bundled_keys(make_app, issue_license, tmp_path):
    """Production never trusts the test vendor key (it refuses to start with extra keys set at
    all, tests/test_config.py): a license it signs is refused, and nothing is installed."""
    app = make_app(env="production", license_extra_public_keys=[])
    with app.app_context():
        assert licensing.keyset().extra_keys == ()
        with pytest.raises(ValidationFailed):
            licensing.install_license(issue_license())
        assert licensing.license_source() == "none"


def test_seat_limit_refuses_the_user_beyond_it(client, admin_key, issue_license):
    make_user()  # two active full seats now
    client.put(
        "/api/v1/system/license",
        json={"license": issue_license(seats=3)},
        headers=bearer(admin_key),
    )
    third = make_user()
    with pytest.raises(Conflict) as refused:
        make_user()
    assert refused.value.code == "seat_limit_reached"
    viewer = make_user(seat_type="viewer")  # viewer seats do not count
    assert viewer.seat_type == "viewer"
    user_service.deactivate(third)
    fourth = make_user()
    with pytest.raises(Conflict):
        user_service.reactivate(third)
    assert fourth.is_active


class _Clock:
    def __init__(self, moment):
        self.moment = moment

    def __call__(self):
        return self.moment


@pytest.mark.parametrize(
    ("days_after_issue", "state", "allowed"),
    [
        (10, "valid", True),
        (340, "expiring_soon", True),
        (370, "in_grace", True),
        (380, "expired", False),
    ],
)
def test_expiry_phases_with_a_controlled_clock(
    make_app, issue_license, days_after_issue, state, allowed
):
    issued = datetime.now(UTC)
    token = issue_license(
        now=issued, expires_at=issued + timedelta(days=365), features=frozenset({"custom_roles"})
    )
    clock = _Clock(issued + timedelta(minutes=1))
    app = make_app()
    app.config["OUTPOST_CLOCK"] = clock
    with app.app_context():
        key = make_key(make_user("root", system_admin=True))
        client = app.test_client()
        assert (
            client.put(
                "/api/v1/system/license", json={"license": token}, headers=bearer(key)
            ).status_code
            == 200
        )
        clock.moment = issued + timedelta(days=days_after_issue)
        status = client.get("/api/v1/system/license", headers=bearer(key)).json
        assert status["state"] == state
        if allowed:
            licensing.require_feature("custom_roles")
        else:
            with pytest.raises(Forbidden) as refused:
                licensing.require_feature("custom_roles")
            assert refused.value.code == "license_expired"
            # After grace: upload and user management stay reachable.
            assert client.get("/api/v1/system/license", headers=bearer(key)).status_code == 200
            assert make_user().is_active


def test_console_banner_while_in_grace(make_app, issue_license):
    from tests.factories import login

    issued = datetime.now(UTC)
    app = make_app()
    clock = _Clock(issued)
    app.config["OUTPOST_CLOCK"] = clock
    with app.app_context():
        make_user("root", system_admin=True)
        licensing.install_license(issue_license(now=issued, expires_at=issued + timedelta(days=5)))
        client = app.test_client()
        login(client, "root")
        assert 'data-testid="license-banner"' in client.get("/").get_data(as_text=True)
        clock.moment = issued + timedelta(days=6)
        page = client.get("/").get_data(as_text=True)
        assert "grace" in page.lower()
