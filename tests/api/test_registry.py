"""The model registry through the API: models linking artifact versions, aliases, protected
aliases (registry admins only), registry admins, model downloads, and what links protect."""

from types import SimpleNamespace

import pytest

from server.extensions import db
from server.models import AuditEvent, Membership, User
from tests.artifact_support import (
    ArtifactClient,
    make_artifact_project,
    make_storage_team,
    presigned,
)
from tests.factories import add_member, bearer, count_queries, make_key, make_user

REG = "/api/v1/teams/lab/registry"
WEIGHTS = b"weights" * 300


class RegistryClient:
    def __init__(self, client, key):
        self.client, self.key = client, key

    def __call__(self, method, path="", **kwargs):
        return self.client.open(REG + path, method=method, headers=bearer(self.key), **kwargs)


@pytest.fixture
def lab(app, client):
    names = ("ada", "bob", "vic", "rex", "eve", "root")
    people = {n: make_user(n, password=None, system_admin=n == "root") for n in names}
    team = make_storage_team("lab", people["ada"])  # ada: team admin, not registry admin
    add_member(team, people["bob"], "member")
    add_member(team, people["vic"], "view-only")
    add_member(team, people["rex"], "view-only", registry_admin=True)
    bot = User(username="lab-bot", kind="service_account", service_team_id=team.id)
    db.session.add(bot)
    db.session.flush()
    db.session.add(Membership(team_id=team.id, user_id=bot.id, role="member"))
    db.session.commit()
    make_storage_team("other", people["eve"])
    make_artifact_project(team, people["bob"])
    keys = {n: make_key(u) for n, u in people.items()} | {"bot": make_key(bot)}
    artifacts = ArtifactClient(app, client, keys["bob"])
    artifacts.create("classifier", type_="model")
    artifacts.log("classifier", {"model.bin": WEIGHTS, "config.json": b"{}"})
    artifacts.log("classifier", {"model.bin": WEIGHTS + b"2", "config.json": b"{}"})
    registry = {n: RegistryClient(client, k) for n, k in keys.items()}
    return SimpleNamespace(app=app, team=team, keys=keys, artifacts=artifacts, **registry)


def _code(response):
    return response.status_code, response.json["error"]["code"]


def _link(who, version="latest", model="cats", **extra):
    body = {"project": "vision", "artifact": "classifier", "version": version, **extra}
    return who("POST", f"/models/{model}/versions", json=body)


def test_a_member_registers_a_model_links_versions_and_downloads_them(lab):
    created = lab.bob("POST", "/models", json={"name": "cats", "description": "cat detector"})
    assert created.status_code == 201 and created.json["latest_version"] is None
    first = _link(lab.bob, "v0")
    assert first.status_code == 201, first.json
    assert first.json["version"] == "v0" and first.json["aliases"] == ["latest"]
    assert first.json["source"] == {
        "project": "vision",
        "artifact": "classifier",
        "version": "v0",
        "available": True,
    }
    second = _link(lab.bob, "latest", aliases=["staging"])
    assert second.json["version"] == "v1" and second.json["aliases"] == ["latest", "staging"]
    assert second.json["source"]["version"] == "v1"

    model = lab.vic("GET", "/models/cats").json
    assert (model["version_count"], model["latest_version"]) == (2, "v1")
    versions = lab.vic("GET", "/models/cats/versions").json["items"]
    assert [(v["version"], v["aliases"]) for v in versions] == [
        ("v1", ["latest", "staging"]),
        ("v0", []),
    ]
    download = lab.bob("GET", "/models/cats/versions/staging/download").json
    assert (download["model_version"], download["version"]) == ("v1", "v1")
    fetched = {i["path"]: presigned(lab.app, "GET", i["url"]) for i in download["items"]}
    assert fetched == {"config.json": (200, b"{}"), "model.bin": (200, WEIGHTS + b"2")}
    links = db.session.query(AuditEvent).filter_by(action="model_version:link").all()
    assert [e.details for e in links] == [
        {"source": "vision/classifier:v0", "aliases": []},
        {"source": "vision/classifier:v1", "aliases": ["staging"]},
    ]
    assert db.session.query(AuditEvent).filter_by(action="model:create").count() == 1


def test_linking_refusals_have_clear_codes(lab):
    assert _code(lab.bob("POST", "/models", json={"name": "bad name"})) == (
        422,
        "invalid_model_name",
    )
    lab.bob("POST", "/models", json={"name": "cats"})
    assert _code(lab.bob("POST", "/models", json={"name": "cats"})) == (409, "model_exists")
    assert _code(_link(lab.bob, model="dogs")) == (404, "model_not_found")
    wrong_project = lab.bob(
        "POST",
        "/models/cats/versions",
        json={"project": "nope", "artifact": "classifier", "version": "v0"},
    )
    assert _code(wrong_project) == (404, "project_not_found")
    assert _code(_link(lab.bob, "v9")) == (404, "version_not_found")
    lab.artifacts.new_version("classifier", {"x": b"pending"})
    assert _code(_link(lab.bob, "v2")) == (409, "version_not_committed")
    assert _link(lab.bob, "v0").status_code == 201
    again = _link(lab.bob, "v0")
    assert _code(again) == (409, "already_linked") and again.json["error"]["version"] == "v0"
    assert _code(_link(lab.bob, "v1", aliases=["latest"])) == (422, "alias_reserved")
    assert _code(lab.bob("GET", "/models/cats/versions/v5")) == (404, "version_not_found")
    assert _code(lab.bob("GET", "/models/cats/aliases/none")) == (404, "alias_not_found")


def test_model_aliases_move_and_latest_is_automatic(lab):
    lab.bob("POST", "/models", json={"name": "cats"})
    _link(lab.bob, "v0")
    _link(lab.bob, "v1")
    put = lab.bob("PUT", "/models/cats/aliases/staging", json={"version": "v0"})
    assert put.json == {"alias": "staging", "version": "v0", "protected": False}
    moved = lab.bob("PUT", "/models/cats/aliases/staging", json={"version": "latest"})
    assert moved.json["previous"] == "v0" and moved.json["version"] == "v1"
    held = lab.bob("PUT", "/models/cats/aliases/staging", json={"version": "v0", "replace": False})
    assert _code(held) == (409, "alias_taken")
    assert lab.vic("GET", "/models/cats/aliases/latest").json["version"] == "v1"
    assert _code(lab.bob("PUT", "/models/cats/aliases/latest", json={"version": "v0"})) == (
        422,
        "alias_reserved",
    )
    listing = lab.vic("GET", "/models/cats/aliases").json
    assert listing["items"] == [{"alias": "staging", "version": "v1", "protected": False}]
    assert listing["latest"] == "v1"
    assert lab.bob("DELETE", "/models/cats/aliases/staging").status_code == 204
    assert lab.bob("DELETE", "/models/cats/versions/v1").status_code == 204
    assert lab.vic("GET", "/models/cats").json["latest_version"] == "v0"


def test_protected_aliases_belong_to_registry_admins_only(lab):
    lab.bob("POST", "/models", json={"name": "cats"})
    _link(lab.bob, "v0")
    _link(lab.bob, "v1")
    # Not even a team admin without the flag may protect an alias.
    for who in (lab.ada, lab.bob, lab.vic, lab.bot):
        refused = who("POST", "/protected-aliases", json={"alias": "production"})
        assert _code(refused) == (403, "permission_denied")
    assert lab.rex("POST", "/protected-aliases", json={"alias": "production"}).status_code == 201
    assert _code(lab.rex("POST", "/protected-aliases", json={"alias": "production"})) == (
        409,
        "protected_alias_exists",
    )
    assert [a["alias"] for a in lab.vic("GET", "/protected-aliases").json["items"]] == [
        "production"
    ]

    # Setting, moving or removing it, and unlinking or deleting what carries it: flag only.
    for who in (lab.ada, lab.bob, lab.bot):
        set_ = who("PUT", "/models/cats/aliases/production", json={"version": "v0"})
        assert _code(set_) == (403, "permission_denied")
        linked = _link(who, "v1", model="cats", aliases=["production"])
        assert _code(linked) == (403, "permission_denied")
    assert lab.bob("PUT", "/models/cats/aliases/staging", json={"version": "v0"}).status_code == 200
    placed = lab.rex("PUT", "/models/cats/aliases/production", json={"version": "v0"})
    assert placed.status_code == 200 and placed.json["protected"] is True
    for who in (lab.ada, lab.bob):
        assert _code(who("DELETE", "/models/cats/aliases/production")) == (403, "permission_denied")
        assert _code(who("DELETE", "/models/cats/versions/v0")) == (403, "permission_denied")
        assert _code(who("DELETE", "/models/cats")) == (403, "permission_denied")
    assert lab.vic("GET", "/models/cats/aliases/production").json == {
        "alias": "production",
        "version": "v0",
        "protected": True,
    }
    # Once off the list, the alias is an ordinary one again.
    assert lab.rex("DELETE", "/protected-aliases/production").status_code == 204
    assert _code(lab.rex("DELETE", "/protected-aliases/production")) == (
        404,
        "protected_alias_not_found",
    )
    assert (
        lab.bob("PUT", "/models/cats/aliases/production", json={"version": "v1"}).status_code == 200
    )
    assert lab.bob("DELETE", "/models/cats").status_code == 204


def test_registry_admins_are_added_by_team_admins_and_registry_admins(lab):
    listing = lab.vic("GET", "/admins").json["items"]
    assert [m["username"] for m in listing] == ["rex"]
    for who in (lab.bob, lab.vic, lab.bot):
        refused = who("POST", "/admins", json={"username": "vic"})
        assert _code(refused) == (403, "permission_denied")
    added = lab.ada("POST", "/admins", json={"username": "vic"})
    assert added.status_code == 201 and added.json["registry_admin"] is True
    assert lab.rex("POST", "/admins", json={"username": "bob"}).status_code == 201
    assert lab.bob("DELETE", "/admins/vic").status_code == 204  # bob is registry admin now
    assert _code(lab.rex("DELETE", "/admins/vic")) == (404, "registry_admin_not_found")
    assert _code(lab.ada("POST", "/admins", json={"username": "lab-bot"})) == (
        422,
        "invalid_member",
    )
    assert _code(lab.ada("POST", "/admins", json={"username": "eve"})) == (404, "member_not_found")
    events = [
        e.action
        for e in db.session.query(AuditEvent).order_by(AuditEvent.id)
        if e.action.startswith("registry_")
    ]
    assert events == ["registry_admin:add", "registry_admin:add", "registry_admin:remove"]


def test_the_member_patch_path_also_needs_the_registry_admin_permission(lab):
    """A system admin may manage a team's members without being one, but registry admins are
    the team's own business: the flag change is asked of ``authorize`` separately."""
    root = bearer(lab.keys["root"])
    flag = {"registry_admin": True}
    refused = lab.app.test_client().patch("/api/v1/teams/lab/members/vic", json=flag, headers=root)
    assert _code(refused) == (403, "permission_denied")
    assert refused.json["error"]["permission"] == "registry:manage_admins"
    allowed = lab.app.test_client().patch(
        "/api/v1/teams/lab/members/vic", json=flag, headers=bearer(lab.keys["ada"])
    )
    assert allowed.status_code == 200 and allowed.json["registry_admin"] is True


def test_linked_artifact_versions_cannot_be_deleted_until_unlinked(lab):
    lab.bob("POST", "/models", json={"name": "cats"})
    _link(lab.bob, "v0")
    refused = lab.artifacts.call("DELETE", "/classifier/versions/v0")
    assert _code(refused) == (409, "artifact_version_linked")
    assert refused.json["error"]["models"] == ["cats:v0"]
    assert _code(lab.artifacts.call("DELETE", "/classifier")) == (409, "artifact_version_linked")
    assert lab.bob("DELETE", "/models/cats/versions/v0").status_code == 204
    assert lab.artifacts.call("DELETE", "/classifier/versions/v0").status_code == 204


def test_a_deleted_project_leaves_the_model_version_as_a_record(lab, client):
    lab.bob("POST", "/models", json={"name": "cats"})
    _link(lab.bob, "v1")
    gone = client.delete(
        "/api/v1/teams/lab/projects/vision",
        json={"confirm": "vision"},
        headers=bearer(lab.keys["ada"]),
    )
    assert gone.status_code == 204
    version = lab.vic("GET", "/models/cats/versions/v0").json
    assert version["source"] == {
        "project": "vision",
        "artifact": "classifier",
        "version": "v1",
        "available": False,
    }
    assert _code(lab.bob("GET", "/models/cats/versions/v0/download")) == (404, "source_deleted")


def test_other_teams_see_nothing_and_view_only_cannot_write(lab):
    lab.bob("POST", "/models", json={"name": "cats"})
    for method, path in [
        ("GET", "/models"),
        ("GET", "/models/cats"),
        ("GET", "/protected-aliases"),
        ("GET", "/admins"),
        ("POST", "/models"),
    ]:
        kwargs = {"json": {"name": "x"}} if method == "POST" else {}
        assert _code(lab.eve(method, path, **kwargs)) == (404, "team_not_found"), path
    assert _code(lab.vic("POST", "/models", json={"name": "mine"})) == (403, "permission_denied")
    assert lab.rex("POST", "/models", json={"name": "mine"}).status_code == 201


def _count(who, path):
    who("GET", path)  # the key's first use also records "last used"
    with count_queries() as seen:
        response = who("GET", path)
    assert response.status_code == 200
    return len(seen)


def test_registry_lists_cost_a_constant_number_of_queries(lab):
    paths = ("/models", "/models/cats/versions", "/models/cats/aliases", "/protected-aliases")
    lab.rex("POST", "/protected-aliases", json={"alias": "production"})
    lab.bob("POST", "/models", json={"name": "cats"})
    _link(lab.bob, "v0", aliases=["a0"])
    few = {p: _count(lab.vic, p) for p in paths}
    lab.rex("POST", "/protected-aliases", json={"alias": "gold"})
    for n in range(3):
        lab.bob("POST", "/models", json={"name": f"m{n}"})
    _link(lab.bob, "v1", aliases=["a1", "a2"])
    many = {p: _count(lab.vic, p) for p in paths}
    assert few == many


def test_an_alias_created_by_a_concurrent_request_is_409_not_a_500(lab):
    """Two requests creating the same new alias at once: the unique index lets one win and the
    other's write is answered 409 alias_taken, with its transaction rolled back."""
    from server.errors import Conflict
    from server.models import ModelAlias, ModelVersion
    from server.services import artifacts

    lab.bob("POST", "/models", json={"name": "cats"})
    _link(lab.bob, "v0")
    lab.bob("PUT", "/models/cats/aliases/staging", json={"version": "v0"})
    version = db.session.scalar(db.select(ModelVersion))
    db.session.add(  # what the other request wrote a moment earlier
        ModelAlias(model_id=version.model_id, alias="staging", model_version_id=version.id)
    )
    with pytest.raises(Conflict) as caught:
        artifacts.flush_alias("staging")
    assert caught.value.code == "alias_taken"
    assert db.session.scalar(db.select(db.func.count()).select_from(ModelAlias)) == 1
