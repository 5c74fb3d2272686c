"""SCIM Users: provisioning, filters as SQL, pagination, PUT, PATCH (Entra ID forms),
deactivation that keeps a user's work, ETags, errors in SCIM's format, both URL prefixes."""

from __future__ import annotations

import pytest

from server.extensions import db
from server.models import AuditEvent, User
from tests.factories import bearer, make_key, make_user
from tests.scim.helpers import (
    SCIM_JSON,
    TEAM_ROLES,
    new_token,
    patch,
    scim_headers,
    user_body,
)


@pytest.fixture
def scim(client):
    token = new_token()

    class Scim:
        headers = scim_headers(token)

        def get(self, path, headers=None, **kw):
            return client.get(f"/scim/v2{path}", headers={**self.headers, **(headers or {})}, **kw)

        def post(self, path, body, **kw):
            return client.post(f"/scim/v2{path}", json=body, headers=self.headers, **kw)

        def put(self, path, body, headers=None):
            return client.put(
                f"/scim/v2{path}", json=body, headers={**self.headers, **(headers or {})}
            )

        def patch(self, path, body, headers=None):
            return client.patch(
                f"/scim/v2{path}", json=body, headers={**self.headers, **(headers or {})}
            )

        def delete(self, path, headers=None):
            return client.delete(f"/scim/v2{path}", headers={**self.headers, **(headers or {})})

    return Scim()


def _create(scim, user_name, email=None, **extra):
    response = scim.post("/Users", user_body(user_name, email, **extra))
    assert response.status_code == 201, response.json
    return response.json


def test_create_user_derives_a_username_and_keeps_the_idp_user_name(scim):
    created = _create(scim, "Jane.Doe@Example.com", "jane@example.com", externalId="00u1")
    assert created["userName"] == "jane.doe@example.com"
    assert created["emails"] == [{"value": "jane@example.com", "type": "work"}]
    assert created["active"] is True and created["externalId"] == "00u1"
    assert created["meta"]["location"].endswith(f"/scim/v2/Users/{created['id']}")
    user = db.session.get(User, int(created["id"]))
    assert user.username == "jane-doe" and user.password_hash is None
    # A second Jane Doe from another domain gets the next free username.
    other = _create(scim, "jane.doe@other.example", "jane@other.example")
    assert db.session.get(User, int(other["id"])).username == "jane-doe-2"


def test_taken_user_name_or_email_is_a_uniqueness_conflict(scim):
    _create(scim, "sam@example.com", "sam@example.com")
    for body in (user_body("SAM@example.com"), user_body("other", "sam@example.com")):
        response = scim.post("/Users", body)
        assert response.status_code == 409
        assert response.json["scimType"] == "uniqueness"
        assert response.headers["Content-Type"].startswith(SCIM_JSON)


def test_existing_accounts_are_visible_with_their_username(scim):
    make_user("alice", email="alice@corp.local")  # not an address pydantic's EmailStr accepts
    found = scim.get('/Users?filter=userName eq "alice"').json
    assert found["totalResults"] == 1
    assert found["Resources"][0]["emails"][0]["value"] == "alice@corp.local"


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('userName eq "ann@example.com"', {"ann"}),
        ('userName sw "b"', {"bob"}),
        ('userName co "example.com"', {"ann", "bob", "cy"}),
        ('emails eq "bob@example.com"', {"bob"}),
        ('emails.value co "cy@"', {"cy"}),
        ('emails[type eq "work" and value sw "ann"]', {"ann"}),
        ('externalId eq "ext-cy"', {"cy"}),
        ("externalId pr", {"cy"}),
        ("active eq false", {"bob"}),
        ('active eq true and userName sw "c"', {"cy"}),
        ('userName eq "ann@example.com" or externalId eq "ext-cy"', {"ann", "cy"}),
        ('not (userName co "example")', {"root"}),
    ],
)
def test_filters(scim, expression, expected):
    make_user("root", email="root@example.org")
    ids = {
        "ann": _create(scim, "ann@example.com", "ann@example.com")["id"],
        "bob": _create(scim, "bob@example.com", "bob@example.com", active=False)["id"],
        "cy": _create(scim, "cy@example.com", "cy@example.com", externalId="ext-cy")["id"],
    }
    names = {value: key for key, value in ids.items()}
    response = scim.get("/Users", query_string={"filter": expression})
    assert response.status_code == 200, response.json
    assert {names.get(r["id"], "root") for r in response.json["Resources"]} == expected


@pytest.mark.parametrize(
    "expression, scim_type",
    [('nickName eq "x"', "invalidFilter"), ('userName eq "x" and', "invalidFilter")],
)
def test_bad_filters_are_400_invalid_filter(scim, expression, scim_type):
    response = scim.get("/Users", query_string={"filter": expression})
    assert response.status_code == 400
    assert response.json["scimType"] == scim_type
    assert response.json["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_pagination_with_start_index_and_count(scim):
    for n in range(5):
        _create(scim, f"p{n}@example.com")
    page = scim.get("/Users?startIndex=2&count=2").json
    assert page["totalResults"] == 5 and page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["userName"] for r in page["Resources"]] == ["p1@example.com", "p2@example.com"]
    past = scim.get("/Users?startIndex=9&count=2").json
    assert past["totalResults"] == 5 and past["Resources"] == []
    only_total = scim.get("/Users?count=0").json
    assert only_total["totalResults"] == 5 and only_total["Resources"] == []


def test_put_replaces_and_keeps_memberships_of_clients_without_the_extension(scim):
    created = _create(scim, "kim@example.com", "kim@example.com", displayName="Kim")
    body = user_body("kim.lee@example.com", "kim.lee@example.com", displayName="Kim Lee")
    response = scim.put(f"/Users/{created['id']}", body)
    assert response.status_code == 200
    assert response.json["userName"] == "kim.lee@example.com"
    assert response.json["displayName"] == "Kim Lee"
    assert response.json["emails"][0]["value"] == "kim.lee@example.com"


def test_entra_patch_forms(scim):
    created = _create(scim, "lee@contoso.com", "lee@contoso.com")
    path = f"/Users/{created['id']}"
    ops = patch(
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "lee2@contoso.com"},
        {"op": "Replace", "path": "displayName", "value": "Lee"},
        {"op": "Add", "path": "externalId", "value": "e-1"},
    )
    response = scim.patch(path, ops)
    assert response.status_code == 200, response.json
    assert response.json["emails"][0]["value"] == "lee2@contoso.com"
    assert response.json["displayName"] == "Lee" and response.json["externalId"] == "e-1"
    off = scim.patch(path, patch({"op": "Replace", "path": "active", "value": "False"}))
    assert off.json["active"] is False
    on = scim.patch(path, patch({"op": "replace", "value": {"active": True}}))
    assert on.json["active"] is True
    removed = scim.patch(path, patch({"op": "remove", "path": "externalId"}))
    assert "externalId" not in removed.json


def test_patch_add_email_to_a_user_without_one(scim):
    created = _create(scim, "noemail@example.com")
    ops = patch({"op": "Add", "path": 'emails[type eq "work"].value', "value": "n@example.com"})
    response = scim.patch(f"/Users/{created['id']}", ops)
    assert response.json["emails"] == [{"value": "n@example.com", "type": "work"}]


def test_bad_patches_are_scim_errors(scim):
    created = _create(scim, "bad@example.com")
    path = f"/Users/{created['id']}"
    response = scim.patch(path, patch({"op": "frobnicate", "path": "displayName"}))
    assert response.status_code == 400 and response.json["scimType"] == "invalidValue"
    response = scim.patch(path, patch({"op": "replace", "path": "id", "value": "9"}))
    assert response.status_code == 400 and response.json["scimType"] == "mutability"
    response = scim.patch(path, {"Operations": "nope"})
    assert response.status_code == 400 and "scimType" in response.json


def test_deactivation_by_delete_keeps_the_account_and_its_work(scim, client):
    from server.models import Project, Run
    from tests.factories import make_team

    created = _create(scim, "leaver@example.com", "leaver@example.com")
    user = db.session.get(User, int(created["id"]))
    team = make_team(members=[user])
    project = Project(team_id=team.id, name="p", created_by_id=user.id)
    db.session.add(project)
    db.session.flush()
    db.session.add(Run(project_id=project.id, run_id="r1", name="r", created_by_id=user.id))
    db.session.commit()

    assert scim.delete(f"/Users/{created['id']}").status_code == 204
    assert scim.get(f"/Users/{created['id']}").status_code == 404
    db.session.expire_all()
    user = db.session.get(User, int(created["id"]))
    assert user.state == "deactivated" and user.scim_deprovisioned
    assert db.session.query(Run).filter_by(created_by_id=user.id).count() == 1
    # The userName is free again: the provider may provision the person anew.
    again = _create(scim, "leaver@example.com")
    assert again["id"] != created["id"]


def test_etags_and_if_match(scim):
    created = _create(scim, "etag@example.com")
    path = f"/Users/{created['id']}"
    fetched = scim.get(path)
    etag = fetched.headers["ETag"]
    assert etag == created["meta"]["version"] == fetched.json["meta"]["version"]
    assert scim.get(path, headers={"If-None-Match": etag}).status_code == 304
    stale = scim.patch(
        path,
        patch({"op": "replace", "path": "displayName", "value": "X"}),
        headers={"If-Match": 'W/"stale"'},
    )
    assert stale.status_code == 412
    assert stale.json["status"] == "412"
    fresh = scim.patch(
        path,
        patch({"op": "replace", "path": "displayName", "value": "X"}),
        headers={"If-Match": etag},
    )
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert scim.delete(path, headers={"If-Match": etag}).status_code == 412


def test_the_w_and_b_paths_answer_too(scim, client):
    created = _create(scim, "wb@example.com")
    response = client.get(f"/scim/Users/{created['id']}", headers=scim.headers)
    assert response.status_code == 200
    assert response.json["meta"]["location"].endswith(f"/scim/Users/{created['id']}")


def test_team_roles_extension_sets_a_members_role(scim, client):
    from tests.factories import make_team

    team = make_team()
    created = _create(scim, "tr@example.com")
    path = f"/Users/{created['id']}"
    add = patch(
        {
            "op": "add",
            "path": f"{TEAM_ROLES}:teamRoles",
            "value": [{"value": str(team.id), "role": "admin"}],
        }
    )
    response = scim.patch(path, add)
    assert response.status_code == 200, response.json
    assert response.json[TEAM_ROLES]["teamRoles"][0]["role"] == "admin"
    unknown = patch(
        {
            "op": "add",
            "path": f"{TEAM_ROLES}:teamRoles",
            "value": [{"value": "999999", "role": "member"}],
        }
    )
    assert scim.patch(path, unknown).status_code == 400
    # The only admin of the team cannot leave it.
    response = scim.patch(path, patch({"op": "remove", "path": f"{TEAM_ROLES}:teamRoles"}))
    assert response.status_code == 409


def test_every_change_is_audited_under_the_tokens_name(scim):
    created = _create(scim, "audit@example.com")
    scim.patch(
        f"/Users/{created['id']}", patch({"op": "replace", "path": "active", "value": False})
    )
    events = db.session.query(AuditEvent).filter(AuditEvent.target_id == created["id"]).all()
    assert {(e.action, e.actor_name) for e in events} >= {
        ("user:create", "scim:okta"),
        ("user:deactivate", "scim:okta"),
    }


def test_credentials(client):
    admin_key = make_key(make_user(system_admin=True))
    member_key = make_key(make_user())
    assert client.get("/scim/v2/Users", headers=bearer(admin_key)).status_code == 200
    refused = client.get("/scim/v2/Users", headers=bearer(member_key))
    assert refused.status_code == 403 and refused.json["status"] == "403"
    missing = client.get("/scim/v2/Users")
    assert missing.status_code == 401 and "WWW-Authenticate" in missing.headers
    assert client.get("/scim/v2/Users", headers=bearer("scim_nope_nope")).status_code == 401
    # A SCIM token opens the SCIM endpoints only.
    token = new_token("entra")
    assert client.get("/api/v1/viewer", headers=bearer(token)).status_code == 401


def test_unknown_paths_and_methods_are_scim_errors(scim, client):
    response = scim.get("/Nope")
    assert response.status_code == 404 and response.json["status"] == "404"
    response = client.delete("/scim/v2/ServiceProviderConfig", headers=scim.headers)
    assert response.status_code == 405 and response.json["status"] == "405"
    response = client.post("/scim/v2/Users", data="{", headers=scim.headers)
    assert response.status_code == 400 and response.json["scimType"] == "invalidSyntax"


@pytest.mark.parametrize(
    "body",
    [
        user_body("nul\u0000name@example.com"),
        user_body("long@example.com", externalId="x" * 255),
        user_body("x" * 255),
        user_body("spaced name"),
        user_body("bad-email@example.com", "not an address"),
    ],
)
def test_bad_values_are_400_and_nothing_is_created(scim, body):
    response = scim.post("/Users", body)
    assert response.status_code == 400, response.json
    assert response.json["scimType"] in ("invalidValue", "invalidSyntax")
    assert db.session.query(User).count() == 0


def test_search_by_post(scim):
    _create(scim, "s1@example.com")
    _create(scim, "s2@example.com")
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": 'userName sw "s"',
        "startIndex": 1,
        "count": 1,
        "attributes": ["userName"],
    }
    response = scim.post("/Users/.search", body)
    assert response.status_code == 200, response.json
    assert response.json["totalResults"] == 2
    assert response.json["Resources"] == [
        {
            "schemas": response.json["Resources"][0]["schemas"],
            "id": response.json["Resources"][0]["id"],
            "userName": "s1@example.com",
        }
    ]
    everything = scim.post("/.search", body)
    assert everything.status_code == 501


def test_a_refused_patch_changes_nothing(scim):
    created = _create(scim, "whole@example.com", displayName="Before")
    ops = patch(
        {"op": "replace", "path": "displayName", "value": "After"},
        {"op": "add", "path": f"{TEAM_ROLES}:teamRoles", "value": [{"value": "424242"}]},
    )
    assert scim.patch(f"/Users/{created['id']}", ops).status_code == 400
    assert scim.get(f"/Users/{created['id']}").json["displayName"] == "Before"
    body = user_body("new@example.com")
    body["schemas"].append(TEAM_ROLES)
    body[TEAM_ROLES] = {"teamRoles": [{"value": "424242", "role": "member"}]}
    refused = scim.post("/Users", body)
    assert refused.status_code == 400 and "unknown_team" in refused.json["detail"]
    assert scim.get('/Users?filter=userName eq "new@example.com"').json["totalResults"] == 0
