"""``POST /api/v1/users``: invitations to the instance: the invited user, the one-time link
(hashed at rest, e-mailed when SMTP is set up), its guards, and new links."""

import hashlib

import pytest

from server.extensions import db
from server.models import AuditEvent, User, UserInvite
from server.services import licensing, system_settings
from tests.factories import bearer, make_key, make_user


def _person(username=None, **kwargs):
    return make_user(username, password=None, **kwargs)


@pytest.fixture
def admin_key():
    return make_key(_person("root", system_admin=True))


def _get(client, key, path):
    response = client.get(path, headers=bearer(key))
    assert response.status_code == 200, response.json
    return response.json


def test_invite_creates_an_invited_user_with_a_one_time_link(client, admin_key):
    response = client.post(
        "/api/v1/users", json={"email": "Ada.Lovelace@Example.test"}, headers=bearer(admin_key)
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["user"]["username"] == "ada-lovelace"
    assert body["user"]["email"] == "ada.lovelace@example.test"
    assert body["user"]["state"] == "invited"
    assert body["email_sent"] is False and "not set up" in body["email_error"]
    token = body["invite_url"].rsplit("/invite/", 1)[1]
    assert body["invite_url"].startswith("http://127.0.0.1:8080/invite/")
    stored = db.session.query(UserInvite).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(stored.__dict__)
    event = db.session.query(AuditEvent).filter_by(action="user:invite").one()
    assert event.actor_name == "root" and event.target_name == "ada.lovelace@example.test"
    again = _get(client, admin_key, "/api/v1/users/ada-lovelace")
    assert "invite_url" not in again


def test_invite_is_emailed_when_smtp_is_set_up(client, admin_key, smtp_sink):
    system_settings.update_settings(smtp_sink.settings())
    response = client.post(
        "/api/v1/users",
        json={"email": "grace@example.test", "system_admin": True},
        headers=bearer(admin_key),
    )
    assert response.status_code == 201, response.json
    assert response.json["email_sent"] is True and response.json["email_error"] is None
    assert response.json["user"]["system_admin"] is True
    [message] = smtp_sink.messages
    assert message.recipients == ["grace@example.test"]
    assert response.json["invite_url"] in message.text()


def test_a_failed_email_keeps_the_invitation_and_says_why(client, admin_key):
    from tests.fixtures.ports import free_port

    system_settings.update_settings(
        {"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_security": "none"}
    )
    body = client.post(
        "/api/v1/users", json={"email": "ada@example.test"}, headers=bearer(admin_key)
    ).json
    assert body["email_sent"] is False
    assert "connection was refused" in body["email_error"]
    assert body["user"]["state"] == "invited"


def test_derived_usernames_do_not_collide(client, admin_key):
    _person("ada")
    body = client.post(
        "/api/v1/users", json={"email": "ada@elsewhere.test"}, headers=bearer(admin_key)
    ).json
    assert body["user"]["username"] == "ada-2"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "not-an-address"}, 422, "invalid_email"),
        ({"email": "root@example.test"}, 409, "user_exists"),
        ({"email": "v@example.test", "seat_type": "viewer"}, 403, "license_required"),
        ({"email": "x@example.test", "seat_type": "guest"}, 422, "validation_failed"),
        ({}, 422, "validation_failed"),
    ],
)
def test_invite_refusals(client, admin_key, body, status, code):
    response = client.post("/api/v1/users", json=body, headers=bearer(admin_key))
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert db.session.query(User).count() == 1


def test_viewer_seat_invites_need_view_only_and_cannot_be_admins(client, admin_key, issue_license):
    licensing.install_license(issue_license())
    response = client.post(
        "/api/v1/users",
        json={"email": "v@example.test", "seat_type": "viewer", "system_admin": True},
        headers=bearer(admin_key),
    )
    assert response.json["error"]["code"] == "viewer_cannot_be_admin"
    response = client.post(
        "/api/v1/users",
        json={"email": "v@example.test", "seat_type": "viewer"},
        headers=bearer(admin_key),
    )
    assert response.status_code == 201 and response.json["user"]["seat_type"] == "viewer"


def test_invites_respect_the_seat_limit(client, admin_key, issue_license):
    _person("ada")
    licensing.install_license(issue_license(seats=2))
    full = client.post("/api/v1/users", json={"email": "x@example.test"}, headers=bearer(admin_key))
    assert full.status_code == 409 and full.json["error"]["code"] == "seat_limit_reached"
    viewer = client.post(
        "/api/v1/users",
        json={"email": "x@example.test", "seat_type": "viewer"},
        headers=bearer(admin_key),
    )
    assert viewer.status_code == 201


def test_a_new_link_replaces_the_old_one(client, admin_key):
    first = client.post(
        "/api/v1/users", json={"email": "ada@example.test"}, headers=bearer(admin_key)
    ).json
    again = client.post("/api/v1/users/ada/invitation", headers=bearer(admin_key))
    assert again.status_code == 201
    assert again.json["invite_url"] != first["invite_url"]
    old_token = first["invite_url"].rsplit("/", 1)[1]
    assert client.get(f"/invite/{old_token}").status_code == 404
    new_token = again.json["invite_url"].rsplit("/", 1)[1]
    assert client.get(f"/invite/{new_token}").status_code == 200
    refused = client.post("/api/v1/users/root/invitation", headers=bearer(admin_key))
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_invited"
    assert db.session.query(AuditEvent).filter_by(action="user:reinvite").count() == 1
