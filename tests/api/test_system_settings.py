"""System settings through the API: effective values, sources, validation, environment wins."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest

from server.extensions import db
from server.models import AuditEvent
from server.services import system_settings
from tests.factories import PASSWORD, bearer, login, make_key, make_user


@pytest.fixture
def admin_key():
    return make_key(make_user("root", system_admin=True))


def _settings(client, key):
    response = client.get("/api/v1/system/settings", headers=bearer(key))
    assert response.status_code == 200, response.json
    return {entry["name"]: entry for entry in response.json["settings"]}


def test_every_setting_is_listed_with_its_default_source(client, admin_key):
    settings = _settings(client, admin_key)
    assert set(settings) == set(system_settings.SETTINGS)
    assert settings["instance_name"]["value"] == "Outpost"
    assert settings["instance_name"]["source"] == "default"
    assert settings["signup_mode"]["choices"] == ["invite_only", "open"]
    assert settings["smtp_password"]["value"] == "" and settings["smtp_password"]["is_set"] is False


def test_a_saved_change_is_effective_and_audited(client, admin_key):
    response = client.patch(
        "/api/v1/system/settings",
        json={"instance_name": "Acme ML", "allow_public_projects": False, "session_hours": 8},
        headers=bearer(admin_key),
    )
    assert response.status_code == 200, response.json
    settings = _settings(client, admin_key)
    assert settings["instance_name"]["value"] == "Acme ML"
    assert settings["instance_name"]["source"] == "database"
    assert settings["allow_public_projects"]["value"] is False
    assert system_settings.get_setting("session_hours") == 8
    event = db.session.query(AuditEvent).filter_by(action="system:settings_update").one()
    assert event.actor_name == "root"
    assert event.details["changed"]["instance_name"] == "Acme ML"


def test_null_returns_a_setting_to_its_default(client, admin_key):
    client.patch(
        "/api/v1/system/settings",
        json={"banner_message": "Maintenance at 6"},
        headers=bearer(admin_key),
    )
    client.patch(
        "/api/v1/system/settings", json={"banner_message": None}, headers=bearer(admin_key)
    )
    entry = _settings(client, admin_key)["banner_message"]
    assert entry["value"] == "" and entry["source"] == "default"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"session_hours": "eight"}, "session_hours"),
        ({"session_hours": 0}, "session_hours"),
        ({"allow_public_projects": "yes"}, "allow_public_projects"),
        ({"signup_mode": "everyone"}, "signup_mode"),
        ({"smtp_from": "not an address"}, "smtp_from"),
        ({"byob_endpoint_allowlist": ["http://user@host/path"]}, "byob_endpoint_allowlist"),
        ({"no_such_setting": 1}, "no_such_setting"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_saved(client, admin_key, change, field):
    response = client.patch(
        "/api/v1/system/settings",
        json={"instance_name": "Changed", **change},
        headers=bearer(admin_key),
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_setting"
    assert [e["field"] for e in response.json["error"]["errors"]] == [field]
    assert _settings(client, admin_key)["instance_name"]["value"] == "Outpost"


def test_the_environment_wins_and_cannot_be_changed(make_app):
    app = make_app(instance_name="From Env")
    with app.app_context():
        key = make_key(make_user("root", system_admin=True))
        client = app.test_client()
        entry = _settings(client, key)["instance_name"]
        assert entry["value"] == "From Env"
        assert entry["source"] == "environment" and entry["editable"] is False
        response = client.patch(
            "/api/v1/system/settings", json={"instance_name": "Mine"}, headers=bearer(key)
        )
        assert response.status_code == 409
        assert response.json["error"]["code"] == "managed_by_environment"


def test_the_smtp_password_is_never_returned(client, admin_key):
    client.patch(
        "/api/v1/system/settings", json={"smtp_password": "s3cret-pass"}, headers=bearer(admin_key)
    )
    response = client.get("/api/v1/system/settings", headers=bearer(admin_key))
    assert "s3cret-pass" not in response.get_data(as_text=True)
    assert _settings(client, admin_key)["smtp_password"]["is_set"] is True
    assert system_settings.get_setting("smtp_password") == "s3cret-pass"
    from server.models import InstanceSetting

    stored = db.session.get(InstanceSetting, "setting:smtp_password").value
    assert "s3cret-pass" not in str(stored)  # sealed at rest
    events = db.session.query(AuditEvent).filter_by(action="system:settings_update").all()
    assert all("s3cret-pass" not in str(event.details) for event in events)


def test_only_system_admins_see_or_change_settings(client):
    key = make_key(make_user())
    assert client.get("/api/v1/system/settings", headers=bearer(key)).status_code == 403
    response = client.patch(
        "/api/v1/system/settings", json={"instance_name": "x"}, headers=bearer(key)
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "permission_denied"


def test_password_policy_follows_the_setting(client, admin_key):
    from server.errors import ValidationFailed

    client.patch(
        "/api/v1/system/settings", json={"password_min_length": 20}, headers=bearer(admin_key)
    )
    with pytest.raises(ValidationFailed) as refused:
        make_user(password="only-16-chars-xx")
    assert refused.value.code == "weak_password"


def test_session_cookie_lifetime_follows_the_setting(client, admin_key):
    make_user("alice")
    client.patch("/api/v1/system/settings", json={"session_hours": 2}, headers=bearer(admin_key))
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 302
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if "outpost_session" in h)
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    hours = (expires - datetime.now(UTC)).total_seconds() / 3600
    assert 1.9 < hours <= 2.0
