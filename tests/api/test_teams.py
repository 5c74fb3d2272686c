"""Teams: who may create them, listing, profile updates, no storage migration, delayed delete."""

from datetime import timedelta

import pytest

from server.models import AuditEvent, Membership
from tests.factories import bearer, make_key, make_team, make_user


@pytest.fixture
def admin_key():
    return make_key(make_user("root", system_admin=True))


def test_system_admin_creates_a_team_and_becomes_its_admin(client, admin_key):
    response = client.post(
        "/api/v1/teams",
        json={"name": "ml-research", "display_name": "ML Research"},
        headers=bearer(admin_key),
    )
    assert response.status_code == 201, response.json
    assert response.json["name"] == "ml-research"
    assert response.json["storage"]["kind"] == "internal"
    members = client.get("/api/v1/teams/ml-research/members", headers=bearer(admin_key)).json
    assert [(m["username"], m["role"]) for m in members["items"]] == [("root", "admin")]


def test_first_admin_can_be_named(client, admin_key):
    make_user("lead")
    response = client.post(
        "/api/v1/teams", json={"name": "vision", "admin": "lead"}, headers=bearer(admin_key)
    )
    assert response.status_code == 201
    members = client.get("/api/v1/teams/vision/members", headers=bearer(admin_key)).json
    assert [m["username"] for m in members["items"]] == ["lead"]


def test_users_cannot_create_teams_by_default(client):
    key = make_key(make_user())
    response = client.post("/api/v1/teams", json={"name": "mine"}, headers=bearer(key))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "Bad Name!"}, 422, "invalid_team_name"),
        ({"name": "x"}, 422, "validation_failed"),
        ({"display_name": "no name"}, 422, "validation_failed"),
        ({"name": "ok-name", "storage": "elsewhere"}, 422, "validation_failed"),
    ],
)
def test_bad_team_bodies(client, admin_key, body, status, code):
    response = client.post("/api/v1/teams", json=body, headers=bearer(admin_key))
    assert response.status_code == status
    assert response.json["error"]["code"] == code


def test_duplicate_team_name_is_409(client, admin_key):
    client.post("/api/v1/teams", json={"name": "dup"}, headers=bearer(admin_key))
    again = client.post("/api/v1/teams", json={"name": "dup"}, headers=bearer(admin_key))
    assert again.status_code == 409 and again.json["error"]["code"] == "team_exists"


def test_list_shows_my_teams_only(client):
    me, other = make_user(), make_user()
    make_team("mine", members=[me])
    make_team("theirs", members=[other])
    listing = client.get("/api/v1/teams", headers=bearer(make_key(me))).json
    assert [t["name"] for t in listing["items"]] == ["mine"]


def test_non_member_gets_404_member_gets_team(client):
    member, stranger = make_user(), make_user()
    make_team("private-team", members=[member])
    assert (
        client.get("/api/v1/teams/private-team", headers=bearer(make_key(member))).status_code
        == 200
    )
    response = client.get("/api/v1/teams/private-team", headers=bearer(make_key(stranger)))
    assert response.status_code == 404


def test_team_admin_updates_profile_member_cannot(client):
    admin, member = make_user(), make_user()
    make_team("t1", admins=[admin], members=[member])
    ok = client.patch(
        "/api/v1/teams/t1",
        json={"display_name": "Team One", "intro": "# Hi"},
        headers=bearer(make_key(admin)),
    )
    assert ok.status_code == 200 and ok.json["display_name"] == "Team One"
    refused = client.patch(
        "/api/v1/teams/t1", json={"display_name": "Hacked"}, headers=bearer(make_key(member))
    )
    assert refused.status_code == 403


def test_null_profile_fields_leave_them_unchanged(client):
    admin = make_user()
    make_team("t2", admins=[admin], display_name="Team Two")
    response = client.patch(
        "/api/v1/teams/t2",
        json={"display_name": None, "intro": None, "profile_visibility": None, "links": None},
        headers=bearer(make_key(admin)),
    )
    assert response.status_code == 200, response.json
    assert response.json["display_name"] == "Team Two"
    assert response.json["profile"] == {
        "intro": "",
        "visibility": "members",
        "links": [],
        "showcase": [],
    }


def test_storage_cannot_be_migrated(client):
    admin = make_user()
    make_team("fixed", admins=[admin])
    response = client.patch(
        "/api/v1/teams/fixed",
        json={"storage": {"provider": "s3", "bucket": "elsewhere"}},
        headers=bearer(make_key(admin)),
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "storage_migration_not_supported"
    assert "migration is not supported" in response.json["error"]["message"]


def test_delete_needs_confirmation_then_restores(client, admin_key):
    client.post("/api/v1/teams", json={"name": "doomed"}, headers=bearer(admin_key))
    unconfirmed = client.delete(
        "/api/v1/teams/doomed", json={"confirm": "nope"}, headers=bearer(admin_key)
    )
    assert unconfirmed.status_code == 422
    assert unconfirmed.json["error"]["code"] == "confirmation_required"
    deleted = client.delete(
        "/api/v1/teams/doomed", json={"confirm": "doomed"}, headers=bearer(admin_key)
    )
    assert deleted.status_code == 200 and deleted.json["state"] == "deleted"
    assert deleted.json["purge_after"] is not None
    assert client.get("/api/v1/teams/doomed", headers=bearer(admin_key)).status_code == 404
    restored = client.post("/api/v1/teams/doomed/restore", headers=bearer(admin_key))
    assert restored.status_code == 200 and restored.json["state"] == "active"


def test_system_admins_list_the_deleted_teams_they_may_restore(client, admin_key):
    for name in ("kept", "gone"):
        client.post("/api/v1/teams", json={"name": name}, headers=bearer(admin_key))
    client.delete("/api/v1/teams/gone", json={"confirm": "gone"}, headers=bearer(admin_key))
    active = client.get("/api/v1/teams", headers=bearer(admin_key)).json["items"]
    assert [team["name"] for team in active] == ["kept"]
    deleted = client.get("/api/v1/teams?state=deleted", headers=bearer(admin_key))
    assert deleted.status_code == 200
    [team] = deleted.json["items"]
    assert team["name"] == "gone" and team["purge_after"] is not None
    user = make_key(make_user())
    refused = client.get("/api/v1/teams?state=deleted", headers=bearer(user))
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "permission_denied"
    bad = client.get("/api/v1/teams?state=purged", headers=bearer(admin_key))
    assert bad.status_code == 422


def test_team_admin_cannot_delete_a_team(client):
    admin = make_user()
    make_team("keep", admins=[admin])
    response = client.delete(
        "/api/v1/teams/keep", json={"confirm": "keep"}, headers=bearer(make_key(admin))
    )
    assert response.status_code == 403


def test_purge_after_retention(app, client, admin_key):
    from datetime import UTC, datetime

    from server.extensions import db
    from server.services import teams as service

    client.post("/api/v1/teams", json={"name": "old"}, headers=bearer(admin_key))
    client.delete("/api/v1/teams/old", json={"confirm": "old"}, headers=bearer(admin_key))
    assert service.purge_expired_teams() == []
    later = datetime.now(UTC) + timedelta(days=31)
    app.config["OUTPOST_CLOCK"] = lambda: later
    assert service.purge_expired_teams() == ["old"]
    assert db.session.query(Membership).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="team:purge").count() == 1


def test_every_user_may_create_teams_when_the_setting_allows(client):
    from server.extensions import db
    from server.models import Team
    from server.services import system_settings

    user_key = make_key(make_user("carol"))
    refused = client.post("/api/v1/teams", json={"name": "carols"}, headers=bearer(user_key))
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "permission_denied"
    system_settings.update_settings({"allow_user_team_creation": True})
    created = client.post("/api/v1/teams", json={"name": "carols"}, headers=bearer(user_key))
    assert created.status_code == 201, created.json
    team = db.session.query(Team).filter_by(slug="carols").one()
    admin = db.session.query(Membership).filter_by(team_id=team.id).one()
    assert admin.role == "admin" and admin.user.username == "carol"
