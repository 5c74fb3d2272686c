"""The request sequences Okta and Microsoft Entra ID send, as their SCIM documentation records
them (create, deactivate, reactivate, add to a group, remove from it, rename), replayed against
a live server with the result each step must have."""

from __future__ import annotations

import uuid

from tests.scim.helpers import GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _ops(*operations):
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


def _members(group: dict) -> list[str]:
    return [member["value"] for member in group.get("members") or []]


def test_okta_sequence(live_server):
    http = live_server.session()
    base = f"{live_server.url}/scim/v2"
    login = f"okta.{uuid.uuid4().hex[:8]}@okta.example"
    # Okta first looks the user up, then creates them (with attributes Outpost does not keep).
    empty = http.get(
        f"{base}/Users",
        params={"filter": f'userName eq "{login}"', "startIndex": 1, "count": 100},
        timeout=10,
    )
    assert empty.status_code == 200 and empty.json()["totalResults"] == 0
    created = http.post(
        f"{base}/Users",
        json={
            "schemas": [USER_SCHEMA],
            "userName": login,
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": True, "value": login, "type": "work"}],
            "displayName": "Test User",
            "locale": "en-US",
            "externalId": "00ujl29u0le5T6Aj10h7",
            "groups": [],
            "password": "1mz050nq",
            "active": True,
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["userName"] == login and user["active"] is True and "password" not in user
    user_url = f"{base}/Users/{user['id']}"
    assert http.get(user_url, timeout=10).json()["displayName"] == "Test User"

    # Deactivate and reactivate (Okta: PATCH replace with a value object).
    off = http.patch(user_url, json=_ops({"op": "replace", "value": {"active": False}}), timeout=10)
    assert off.status_code == 200 and off.json()["active"] is False
    on = http.patch(user_url, json=_ops({"op": "replace", "value": {"active": True}}), timeout=10)
    assert on.status_code == 200 and on.json()["active"] is True

    # Profile update (Okta PUTs the whole user): a new login renames the user.
    renamed_login = f"renamed.{login}"
    put = http.put(
        user_url,
        json={
            "schemas": [USER_SCHEMA],
            "id": user["id"],
            "userName": renamed_login,
            "name": {"givenName": "Test", "familyName": "Renamed"},
            "emails": [{"primary": True, "value": renamed_login, "type": "work"}],
            "displayName": "Test Renamed",
            "active": True,
            "externalId": "00ujl29u0le5T6Aj10h7",
        },
        timeout=10,
    )
    assert put.status_code == 200, put.text
    assert put.json()["userName"] == renamed_login and put.json()["displayName"] == "Test Renamed"

    # Push groups: create, add the member, rename (Okta sends the id in the value), remove.
    group = http.post(
        f"{base}/Groups",
        json={
            "schemas": [GROUP_SCHEMA],
            "displayName": f"Okta Group {uuid.uuid4().hex[:6]}",
            "members": [],
        },
        timeout=10,
    )
    assert group.status_code == 201, group.text
    group_url = f"{base}/Groups/{group.json()['id']}"
    added = http.patch(
        group_url,
        json=_ops(
            {
                "op": "add",
                "path": "members",
                "value": [{"value": user["id"], "display": renamed_login}],
            }
        ),
        timeout=10,
    )
    assert added.status_code == 200, added.text
    assert _members(added.json()) == [user["id"]]
    new_name = f"Okta Renamed {uuid.uuid4().hex[:6]}"
    renamed = http.patch(
        group_url,
        json=_ops({"op": "replace", "value": {"id": group.json()["id"], "displayName": new_name}}),
        timeout=10,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["displayName"] == new_name
    removed = http.patch(
        group_url,
        json=_ops({"op": "remove", "path": f'members[value eq "{user["id"]}"]'}),
        timeout=10,
    )
    assert removed.status_code == 200 and _members(removed.json()) == []


def test_entra_sequence(live_server):
    http = live_server.session()
    base = f"{live_server.url}/scim"  # Entra ID is often configured with the W&B-style path
    login = f"Test_User_{uuid.uuid4()}"
    external = str(uuid.uuid4())
    empty = http.get(f"{base}/Users", params={"filter": f'userName eq "{login}"'}, timeout=10)
    assert empty.status_code == 200 and empty.json()["Resources"] == []
    created = http.post(
        f"{base}/Users",
        json={
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "externalId": external,
            "userName": login,
            "active": True,
            "emails": [{"primary": True, "type": "work", "value": f"{login}@testuser.com"}],
            "meta": {"resourceType": "User"},
            "name": {
                "formatted": "givenName familyName",
                "familyName": "familyName",
                "givenName": "givenName",
            },
            "roles": [],
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["displayName"] == "givenName familyName"  # from name.formatted
    user_url = f"{base}/Users/{user['id']}"
    found = http.get(f"{base}/Users", params={"filter": f'externalId eq "{external}"'}, timeout=10)
    assert [u["id"] for u in found.json()["Resources"]] == [user["id"]]
    # A duplicate is refused as a uniqueness conflict, which Entra ID understands.
    again = http.post(
        f"{base}/Users", json={"schemas": [USER_SCHEMA], "userName": login}, timeout=10
    )
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"

    # Update with the value-path forms Entra ID sends, then rename.
    updated = http.patch(
        user_url,
        json=_ops(
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "updated@microsoft.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ),
        timeout=10,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["emails"][0]["value"] == "updated@microsoft.com"
    renamed = http.patch(
        user_url,
        json=_ops({"op": "Replace", "path": "userName", "value": f"{login}_renamed"}),
        timeout=10,
    )
    assert renamed.json()["userName"] == f"{login}_renamed".lower()

    # Disable (a boolean as a string, capitalised) and enable again.
    off = http.patch(
        user_url, json=_ops({"op": "Replace", "path": "active", "value": "False"}), timeout=10
    )
    assert off.status_code == 200 and off.json()["active"] is False
    on = http.patch(
        user_url, json=_ops({"op": "Replace", "path": "active", "value": "True"}), timeout=10
    )
    assert on.status_code == 200 and on.json()["active"] is True

    # Groups: create, look up without members, add, rename, remove (a remove with a value).
    name = f"displayName{uuid.uuid4().hex[:6]}"
    group = http.post(
        f"{base}/Groups",
        json={
            "schemas": [GROUP_SCHEMA],
            "externalId": str(uuid.uuid4()),
            "displayName": name,
            "meta": {"resourceType": "Group"},
        },
        timeout=10,
    )
    assert group.status_code == 201, group.text
    group_url = f"{base}/Groups/{group.json()['id']}"
    lookup = http.get(
        f"{base}/Groups",
        params={"excludedAttributes": "members", "filter": f'displayName eq "{name}"'},
        timeout=10,
    )
    assert [g["id"] for g in lookup.json()["Resources"]] == [group.json()["id"]]
    member = [{"$ref": None, "value": user["id"]}]
    added = http.patch(
        group_url, json=_ops({"op": "Add", "path": "members", "value": member}), timeout=10
    )
    assert added.status_code == 200, added.text
    assert _members(added.json()) == [user["id"]]
    renamed_group = http.patch(
        group_url,
        json=_ops({"op": "Replace", "path": "displayName", "value": f"{name}updatedDisplayName"}),
        timeout=10,
    )
    assert renamed_group.json()["displayName"] == f"{name}updatedDisplayName"
    removed = http.patch(
        group_url, json=_ops({"op": "Remove", "path": "members", "value": member}), timeout=10
    )
    assert removed.status_code == 200 and _members(removed.json()) == []

    # Hard delete after the soft delete period: the account stays, deactivated, with its work.
    assert http.delete(user_url, timeout=10).status_code == 204
    assert http.get(user_url, timeout=10).status_code == 404
    assert http.delete(group_url, timeout=10).status_code == 204


def test_changes_are_audited_under_the_token_name(live_server):
    admin = live_server.session(live_server.admin_key)
    admin.headers["Content-Type"] = "application/json"
    http = live_server.session()
    login = f"audited.{uuid.uuid4().hex[:8]}@example.com"
    user = http.post(
        f"{live_server.url}/scim/v2/Users",
        json={"schemas": [USER_SCHEMA], "userName": login},
        timeout=10,
    ).json()
    events = admin.get(
        f"{live_server.url}/api/v1/system/audit-log",
        params={"action": "user:create", "limit": 100},
        timeout=10,
    ).json()
    mine = [
        e
        for e in events["items"]
        if e.get("target_id") == user["id"] or e.get("target", {}).get("id") == user["id"]
    ]
    assert mine and all("scim:idp" in str(e) for e in mine), events["items"][:3]
