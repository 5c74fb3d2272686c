"""Members: invite, roles, registry-admin flag, last-admin rule, removal keeps attribution."""

import pytest

from server.services import licensing
from tests.factories import bearer, make_key, make_team, make_user


@pytest.fixture
def world():
    admin, member = make_user("alice"), make_user("bob")
    make_team("lab", admins=[admin], members=[member])
    return {"admin": make_key(admin), "member": make_key(member)}


def test_admin_adds_an_existing_user_by_email_at_once(client, world):
    make_user("carol", email="carol@example.test")
    response = client.post(
        "/api/v1/teams/lab/members",
        json={"email": "carol@example.test", "role": "member"},
        headers=bearer(world["admin"]),
    )
    assert response.status_code == 201
    assert response.json["status"] == "added"
    assert response.json["member"]["role"] == "member"


def test_unknown_email_gets_an_invitation_link_that_works_once(client, world):
    response = client.post(
        "/api/v1/teams/lab/members",
        json={"email": "new@example.test", "role": "member"},
        headers=bearer(world["admin"]),
    )
    assert response.status_code == 201 and response.json["status"] == "invited"
    token = response.json["invite_url"].rsplit("/", 1)[1]
    newcomer = make_user("newcomer", email="new@example.test")
    intruder = make_user("intruder")
    refused = client.post(f"/api/v1/invitations/{token}/accept", headers=bearer(make_key(intruder)))
    assert refused.status_code == 403
    accepted = client.post(
        f"/api/v1/invitations/{token}/accept", headers=bearer(make_key(newcomer))
    )
    assert accepted.status_code == 200 and accepted.json == {"team": "lab", "role": "member"}
    again = client.post(f"/api/v1/invitations/{token}/accept", headers=bearer(make_key(newcomer)))
    assert again.status_code == 404


def test_members_cannot_invite(client, world):
    make_user("dave")
    response = client.post(
        "/api/v1/teams/lab/members", json={"username": "dave"}, headers=bearer(world["member"])
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "permission_denied"


def test_change_role_and_registry_admin(client, world):
    response = client.patch(
        "/api/v1/teams/lab/members/bob",
        json={"role": "admin", "registry_admin": True},
        headers=bearer(world["admin"]),
    )
    assert response.status_code == 200
    assert response.json["role"] == "admin" and response.json["registry_admin"] is True


def test_last_admin_cannot_be_removed_or_demoted(client, world):
    demote = client.patch(
        "/api/v1/teams/lab/members/alice", json={"role": "member"}, headers=bearer(world["admin"])
    )
    assert demote.status_code == 409 and demote.json["error"]["code"] == "last_team_admin"
    remove = client.delete("/api/v1/teams/lab/members/alice", headers=bearer(world["admin"]))
    assert remove.status_code == 409 and remove.json["error"]["code"] == "last_team_admin"
    listing = client.get("/api/v1/teams/lab/members", headers=bearer(world["admin"])).json
    assert listing["admin_count"] == 1


def test_view_only_needs_the_license_feature(client, world, issue_license):
    make_user("erin")
    body = {"username": "erin", "role": "view-only"}
    refused = client.post("/api/v1/teams/lab/members", json=body, headers=bearer(world["admin"]))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "license_required"
    licensing.install_license(issue_license(features=frozenset({"view_only"})))
    added = client.post("/api/v1/teams/lab/members", json=body, headers=bearer(world["admin"]))
    assert added.status_code == 201 and added.json["member"]["role"] == "view-only"


def test_unknown_role_and_user(client, world):
    make_user("frank")
    bad_role = client.post(
        "/api/v1/teams/lab/members",
        json={"username": "frank", "role": "overlord"},
        headers=bearer(world["admin"]),
    )
    assert bad_role.status_code == 422 and bad_role.json["error"]["code"] == "unknown_role"
    ghost = client.post(
        "/api/v1/teams/lab/members", json={"username": "ghost"}, headers=bearer(world["admin"])
    )
    assert ghost.status_code == 404 and ghost.json["error"]["code"] == "user_not_found"
    both = client.post(
        "/api/v1/teams/lab/members",
        json={"username": "a", "email": "a@b.c"},
        headers=bearer(world["admin"]),
    )
    assert both.status_code == 422
    missing = client.delete("/api/v1/teams/lab/members/nobody", headers=bearer(world["admin"]))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "member_not_found"


def test_removed_member_loses_access(client, world):
    assert (
        client.delete("/api/v1/teams/lab/members/bob", headers=bearer(world["admin"])).status_code
        == 204
    )
    assert client.get("/api/v1/teams/lab", headers=bearer(world["member"])).status_code == 404


def test_member_list_costs_the_same_queries_for_3_or_30(client, app):
    from tests.factories import count_queries

    admin = make_user()
    small = make_team("small", admins=[admin], members=[make_user() for _ in range(2)])
    big = make_team("big", admins=[admin], members=[make_user() for _ in range(29)])
    key = make_key(admin)
    client.get("/api/v1/viewer", headers=bearer(key))  # the key's last-used write happens here
    counts = []
    for team in (small, big):
        with count_queries() as seen:
            response = client.get(f"/api/v1/teams/{team.slug}/members", headers=bearer(key))
        assert response.status_code == 200 and response.json["items"]
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_an_invitation_is_emailed_when_smtp_is_set_up(client, world, smtp_sink):
    from server.services import system_settings

    system_settings.update_settings(smtp_sink.settings())
    response = client.post(
        "/api/v1/teams/lab/members",
        json={"email": "new@example.test", "role": "member"},
        headers=bearer(world["admin"]),
    )
    assert response.status_code == 201, response.json
    assert response.json["email_sent"] is True and response.json["email_error"] is None
    [message] = smtp_sink.messages
    assert message.recipients == ["new@example.test"] and "lab" in message.subject
    assert response.json["invite_url"] in message.text()


def test_without_smtp_the_response_says_to_pass_the_link_on(client, world):
    body = client.post(
        "/api/v1/teams/lab/members",
        json={"email": "new@example.test", "role": "member"},
        headers=bearer(world["admin"]),
    ).json
    assert body["status"] == "invited" and body["email_sent"] is False
    assert "pass the link on" in body["email_error"]
