"""SCIM Groups (teams) and Roles (custom roles, licensed)."""

from __future__ import annotations

import pytest

from server.extensions import db
from server.models import Membership, Team
from server.services import licensing
from tests.factories import make_team, make_user
from tests.scim.helpers import (
    GROUP_SCHEMA,
    ROLE_SCHEMA,
    TEAM_ROLES,
    new_token,
    patch,
    scim_headers,
    user_body,
)


@pytest.fixture
def headers():
    return scim_headers(new_token())


def _user(client, headers, name):
    response = client.post("/scim/v2/Users", json=user_body(name), headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def _group(client, headers, name, members=(), **extra):
    body = {"schemas": [GROUP_SCHEMA], "displayName": name, **extra}
    body["members"] = [{"value": m} for m in members]
    response = client.post("/scim/v2/Groups", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def test_group_is_a_team_with_members(client, headers):
    ann = _user(client, headers, "ann@example.com")
    group = _group(client, headers, "ML Research", [ann], externalId="g-1")
    team = db.session.get(Team, int(group["id"]))
    assert team.slug == "ml-research" and team.display_name == "ML Research"
    assert team.external_id == "g-1"
    assert [m["value"] for m in group["members"]] == [ann]
    member = db.session.query(Membership).filter_by(team_id=team.id).one()
    assert member.role == "member"
    assert _group_conflict(client, headers, "ml research").json["scimType"] == "uniqueness"


def _group_conflict(client, headers, name):
    body = {"schemas": [GROUP_SCHEMA], "displayName": name}
    response = client.post("/scim/v2/Groups", json=body, headers=headers)
    assert response.status_code == 409
    return response


def test_patch_members_add_and_remove_and_rename(client, headers):
    ann = _user(client, headers, "ann@example.com")
    bob = _user(client, headers, "bob@example.com")
    group = _group(client, headers, "vision")
    path = f"/scim/v2/Groups/{group['id']}"
    added = client.patch(
        path,
        json=patch({"op": "add", "path": "members", "value": [{"value": ann}, {"value": bob}]}),
        headers=headers,
    )
    assert sorted(m["value"] for m in added.json["members"]) == sorted([ann, bob])
    removed = client.patch(
        path, json=patch({"op": "remove", "path": f'members[value eq "{ann}"]'}), headers=headers
    )
    assert [m["value"] for m in removed.json["members"]] == [bob]
    renamed = client.patch(
        path,
        json=patch({"op": "replace", "path": "displayName", "value": "Vision"}),
        headers=headers,
    )
    assert renamed.json["displayName"] == "Vision"
    assert db.session.get(Team, int(group["id"])).slug == "vision"  # the name stays
    found = client.get(
        "/scim/v2/Groups", query_string={"filter": f'members eq "{bob}"'}, headers=headers
    ).json
    assert [g["id"] for g in found["Resources"]] == [group["id"]]
    unknown = client.patch(
        path,
        json=patch({"op": "add", "path": "members", "value": [{"value": "99999"}]}),
        headers=headers,
    )
    assert unknown.status_code == 400


def test_removing_the_last_team_admin_is_refused(client, headers):
    admin = make_user("lead")
    team = make_team(admins=[admin])
    path = f"/scim/v2/Groups/{team.id}"
    response = client.patch(
        path,
        json=patch({"op": "remove", "path": f'members[value eq "{admin.id}"]'}),
        headers=headers,
    )
    assert response.status_code == 409
    assert "last_team_admin" in response.json["detail"]


def test_delete_follows_the_team_retention(client, headers):
    group = _group(client, headers, "temp-team")
    assert client.delete(f"/scim/v2/Groups/{group['id']}", headers=headers).status_code == 204
    assert client.get(f"/scim/v2/Groups/{group['id']}", headers=headers).status_code == 404
    team = db.session.get(Team, int(group["id"]))
    db.session.refresh(team)
    assert team.state == "deleted" and team.purge_after is not None  # restorable until then


def test_group_filters(client, headers):
    _group(client, headers, "Alpha", externalId="x-1")
    _group(client, headers, "Beta")
    names = lambda f: [  # noqa: E731
        g["displayName"]
        for g in client.get("/scim/v2/Groups", query_string={"filter": f}, headers=headers).json[
            "Resources"
        ]
    ]
    assert names('displayName eq "alpha"') == ["Alpha"]
    assert names('externalId eq "x-1"') == ["Alpha"]
    assert names('displayName sw "B"') == ["Beta"]


def _role_body(name="auditor", **extra):
    return {"schemas": [ROLE_SCHEMA], "name": name, "inheritedFrom": "view-only", **extra}


def test_roles_need_the_custom_roles_license(client, headers):
    response = client.post("/scim/v2/Roles", json=_role_body(), headers=headers)
    assert response.status_code == 403
    assert "license" in response.json["detail"]


def test_roles_and_the_team_role_extension(client, headers, issue_license):
    licensing.install_license(issue_license(features=frozenset({"custom_roles", "view_only"})))
    created = client.post(
        "/scim/v2/Roles",
        json=_role_body(permissions=["artifact:download"], description="reads"),
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert created.json["permissions"] == ["artifact:download"]
    bad = client.post(
        "/scim/v2/Roles", json=_role_body("x", permissions=["system:settings"]), headers=headers
    )
    assert bad.status_code == 400 and bad.json["scimType"] == "invalidValue"
    user_id = _user(client, headers, "ray@example.com")
    group = _group(client, headers, "audit", [user_id])
    roles = [{"value": group["id"], "role": "auditor"}]
    response = client.patch(
        f"/scim/v2/Users/{user_id}",
        json=patch({"op": "replace", "path": f"{TEAM_ROLES}:teamRoles", "value": roles}),
        headers=headers,
    )
    assert response.status_code == 200, response.json
    assert response.json[TEAM_ROLES]["teamRoles"][0]["role"] == "auditor"
    member = db.session.query(Membership).filter_by(team_id=int(group["id"])).one()
    db.session.refresh(member)
    assert member.role == "custom" and member.custom_role.name == "auditor"
    patched = client.patch(
        f"/scim/v2/Roles/{created.json['id']}",
        json=patch({"op": "add", "path": "permissions", "value": ["run:delete:own"]}),
        headers=headers,
    )
    assert sorted(patched.json["permissions"]) == ["artifact:download", "run:delete:own"]
    role_path = f"/scim/v2/Roles/{created.json['id']}"
    assert client.delete(role_path, headers=headers).status_code == 204
    db.session.refresh(member)
    assert member.role == "view-only"  # back to the base role


@pytest.mark.parametrize(
    "name, slug",
    [("Équipe ML", "equipe-ml"), ("日本", None), ("A", None), ("  Data  Science ", "data-science")],
)
def test_group_names_become_valid_team_names(client, headers, name, slug):
    group = _group(client, headers, name)
    team = db.session.get(Team, int(group["id"]))
    assert team.slug == slug if slug else team.slug.startswith("group-")
    assert group["displayName"] == name.strip()
