"""Custom roles: licensed, vocabulary-checked, assignable, deletion falls back to the base."""

import pytest

from server.services import licensing
from tests.factories import bearer, make_key, make_team, make_user


@pytest.fixture
def licensed(issue_license):
    licensing.install_license(issue_license(features=frozenset({"custom_roles"})))


def test_custom_roles_need_a_license(client):
    key = make_key(make_user(system_admin=True))
    response = client.post(
        "/api/v1/roles", json={"name": "auditor", "base": "view-only"}, headers=bearer(key)
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "license_required"


def test_create_assign_and_use_a_custom_role(client, licensed):
    root = make_key(make_user(system_admin=True))
    created = client.post(
        "/api/v1/roles",
        json={
            "name": "artifact-downloader",
            "base": "view-only",
            "permissions": ["artifact:download"],
        },
        headers=bearer(root),
    )
    assert created.status_code == 201, created.json
    admin, person = make_user(), make_user("pat")
    make_team("lab", admins=[admin])
    added = client.post(
        "/api/v1/teams/lab/members",
        json={"username": "pat", "role": "artifact-downloader"},
        headers=bearer(make_key(admin)),
    )
    assert added.status_code == 201 and added.json["member"]["role"] == "artifact-downloader"

    from server.services.memberships import grants_for

    grants = grants_for(person, added_team_id(client, admin))
    assert "artifact:download" in grants and "run:log" not in grants


def added_team_id(client, admin):
    from server.services.teams import load_team

    return load_team("lab").id


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "x", "base": "admin"}, "invalid_base_role"),
        ({"name": "x", "base": "member", "permissions": ["run:explode"]}, "unknown_permission"),
        ({"name": "x", "base": "member", "permissions": ["system:settings"]}, "unknown_permission"),
        ({"name": "x", "base": "member", "permissions": ["run:view"]}, "permission_inherited"),
        ({"name": "member", "base": "member"}, "invalid_role_name"),
    ],
)
def test_invalid_custom_roles(client, licensed, body, code):
    root = make_key(make_user(system_admin=True))
    response = client.post("/api/v1/roles", json=body, headers=bearer(root))
    assert response.status_code == 422 and response.json["error"]["code"] == code


def test_only_system_admins_define_roles(client, licensed):
    response = client.post(
        "/api/v1/roles", json={"name": "x", "base": "member"}, headers=bearer(make_key(make_user()))
    )
    assert response.status_code == 403


def test_deleting_a_role_returns_holders_to_base(client, licensed):
    root = make_key(make_user(system_admin=True))
    client.post(
        "/api/v1/roles",
        json={"name": "helper", "base": "member", "permissions": ["run:delete"]},
        headers=bearer(root),
    )
    admin = make_user()
    make_team("lab", admins=[admin])
    make_user("quinn")
    client.post(
        "/api/v1/teams/lab/members",
        json={"username": "quinn", "role": "helper"},
        headers=bearer(make_key(admin)),
    )
    deleted = client.delete("/api/v1/roles/helper", headers=bearer(root))
    assert deleted.json == {"deleted": "helper", "members_moved_to_base": 1}
    member = client.get("/api/v1/teams/lab/members/quinn", headers=bearer(make_key(admin))).json
    assert member["role"] == "member"


def test_assignments_keep_working_when_the_license_lapses(client, licensed):
    root = make_key(make_user(system_admin=True))
    client.post(
        "/api/v1/roles",
        json={"name": "reader", "base": "view-only", "permissions": ["artifact:download"]},
        headers=bearer(root),
    )
    admin = make_user()
    team = make_team("lab", admins=[admin])
    person = make_user("rita")
    client.post(
        "/api/v1/teams/lab/members",
        json={"username": "rita", "role": "reader"},
        headers=bearer(make_key(admin)),
    )
    licensing.remove_license()
    from server.services.memberships import grants_for

    assert "artifact:download" in grants_for(person, team.id)
    refused = client.post(
        "/api/v1/roles", json={"name": "another", "base": "member"}, headers=bearer(root)
    )
    assert refused.status_code == 403


def test_roles_list_includes_builtins(client):
    body = client.get("/api/v1/roles", headers=bearer(make_key(make_user()))).json
    assert [r["name"] for r in body["builtin"]] == ["view-only", "member", "admin"]
