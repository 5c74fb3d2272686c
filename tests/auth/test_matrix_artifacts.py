"""The artifact and model-registry rows of the SPEC §3 permission table, as a matrix.

Each row of ``TABLE`` is a row of the SPEC table, with the expected answer for each principal
below. Every operation that the row covers is tried by every principal through the real API
with an API key, on a private project of team ``lab``. Before each attempt the world is put
back in the state the operation needs, so every principal meets the same world.
"""

import itertools

import pytest

from server.errors import NotFound
from server.extensions import db
from server.models import Membership, User
from server.services import artifact_aliases, artifact_versions, registry_admins
from server.services import artifacts as artifact_service
from server.services import registry as registry_service
from server.services import users as user_service
from tests.artifact_support import (
    ArtifactClient,
    make_artifact_project,
    make_storage_team,
    sha256,
)
from tests.factories import add_member, bearer, make_key, make_service_account, make_user

PRINCIPALS = [
    "view_only",
    "member",
    "team_admin",
    "registry_admin",  # a view-only member holding the team's registry-admin flag
    "service_account",  # of team lab: acts with the member role
    "non_member",
    "system_admin",  # not a member of lab
    "deactivated",  # a member of lab whose account is deactivated
]

Y = True  # allowed
D = 403  # refused: permission_denied
H = 404  # invisible: answered like a missing project or team
U = 401  # not signed in (deactivated account)

# SPEC §3, one entry per principal, in the order of PRINCIPALS.
TABLE = {
    "view artifacts": [Y, Y, Y, Y, Y, H, D, U],
    "create / delete artifacts, edit metadata, edit / delete aliases": [D, Y, Y, D, Y, H, D, U],
    "download artifacts": [D, Y, Y, D, Y, H, D, U],
    "registry: view models": [Y, Y, Y, Y, Y, H, D, U],
    "registry: add models, add aliases, download models": [D, Y, Y, Y, Y, H, D, U],
    "registry: add / remove registry admins": [D, D, Y, Y, D, H, D, U],
    "registry: add / remove protected aliases": [D, D, D, Y, D, H, D, U],
}

ART = "/api/v1/teams/lab/projects/vision/artifacts"
REG = "/api/v1/teams/lab/registry"
FILE = b"weights"
_n = itertools.count()


class World:
    def __init__(self, app, client, visibility: str = "private"):
        self.app, self.client = app, client
        people = {
            name: make_user(password=None, system_admin=name == "system_admin")
            for name in PRINCIPALS
        }
        self.target = make_user("target", password=None)
        team = make_storage_team("lab", people["team_admin"])
        for user in (people["member"], people["deactivated"], self.target):
            add_member(team, user, "member")
        add_member(team, people["view_only"], "view-only")
        add_member(team, people["registry_admin"], "view-only", registry_admin=True)
        elsewhere = make_storage_team("elsewhere", people["non_member"])
        people["other_team_service_account"] = make_service_account(elsewhere, "bot")
        bot = User(username="lab-bot", kind="service_account", service_team_id=team.id)
        db.session.add(bot)
        db.session.flush()
        db.session.add(Membership(team_id=team.id, user_id=bot.id, role="member"))
        db.session.commit()
        people["service_account"] = bot
        self.team, self.people = team, people
        self.project = make_artifact_project(team, people["member"], visibility=visibility)
        self.keys = {name: make_key(user) for name, user in people.items()}
        ArtifactClient(app, client, self.keys["member"]).create("mnist")
        ArtifactClient(app, client, self.keys["member"]).log("mnist", {"w.bin": FILE})
        self.model = registry_service.create_model(people["member"], team, "cats")
        self._link(self.model)
        user_service.deactivate(people["deactivated"])

    # -- preparing the world for one attempt -------------------------------------------------

    def collection(self, name="mnist"):
        try:
            return artifact_service.load_collection(self.project, name)
        except NotFound:
            member = self.people["member"]
            return artifact_service.create_collection(member, self.project, name, "dataset")

    def committed_version(self) -> str:
        member = self.people["member"]
        version, _ = artifact_versions.create_version(member, self.collection(), [])
        return artifact_versions.commit_version(member, version).label

    def pending_version(self) -> str:
        version, _ = artifact_versions.create_version(self.people["member"], self.collection(), [])
        return version.label

    def alias(self, alias: str) -> str:
        artifact_aliases.set_alias(self.people["member"], self.collection(), alias, "v0")
        return alias

    def fresh_model(self) -> str:
        return registry_service.create_model(self.people["member"], self.team, f"m{next(_n)}").name

    def _link(self, model):
        registry_service.link_version(
            self.people["member"],
            self.team,
            model,
            project="vision",
            artifact="mnist",
            version="v0",
        )

    def protect(self, alias: str, on_model: bool = False) -> str:
        if not registry_service.is_protected(self.team.id, alias):
            registry_admins.add_protected(self.people["registry_admin"], self.team, alias)
        if on_model:
            registry_service.set_alias(self.people["registry_admin"], self.model, alias, "v0")
        return alias

    def registry_flag(self, on: bool) -> str:
        membership = db.session.query(Membership).filter_by(user_id=self.target.id).one()
        membership.registry_admin = on
        db.session.commit()
        return "target"


def _ops(world: World):
    """Operation name → (prepare, request) for every row of TABLE. ``prepare`` returns what the
    request needs; ``request`` is (method, url, json body or None)."""
    fresh = lambda: f"x{next(_n)}"  # noqa: E731
    return {
        "view artifacts": {
            "list artifacts": (None, lambda _: ("GET", ART, None)),
            "show a version": (None, lambda _: ("GET", f"{ART}/mnist/versions/v0", None)),
            "list its files": (None, lambda _: ("GET", f"{ART}/mnist/versions/v0/files", None)),
            "list aliases": (None, lambda _: ("GET", f"{ART}/mnist/aliases", None)),
        },
        "create / delete artifacts, edit metadata, edit / delete aliases": {
            "create an artifact": (fresh, lambda n: ("POST", ART, {"name": n, "type": "model"})),
            "create a version": (
                None,
                lambda _: (
                    "POST",
                    f"{ART}/mnist/versions",
                    {"files": [{"path": "w.bin", "digest": sha256(FILE), "size": len(FILE)}]},
                ),
            ),
            "commit a version": (
                world.pending_version,
                lambda v: ("POST", f"{ART}/mnist/versions/{v}/commit", {}),
            ),
            "edit metadata": (
                None,
                lambda _: ("PATCH", f"{ART}/mnist/versions/v0", {"metadata": {"k": 1}}),
            ),
            "set an alias": (
                None,
                lambda _: ("PUT", f"{ART}/mnist/aliases/best", {"version": "v0"}),
            ),
            "delete an alias": (
                lambda: world.alias("stale"),
                lambda a: ("DELETE", f"{ART}/mnist/aliases/{a}", None),
            ),
            "delete a version": (
                world.committed_version,
                lambda v: ("DELETE", f"{ART}/mnist/versions/{v}", None),
            ),
            "delete an artifact": (
                lambda: world.collection("doomed").name,
                lambda n: ("DELETE", f"{ART}/{n}", None),
            ),
        },
        "download artifacts": {
            "download a version": (
                None,
                lambda _: ("GET", f"{ART}/mnist/versions/v0/download", None),
            ),
        },
        "registry: view models": {
            path: (None, lambda _, p=path: ("GET", f"{REG}{p}", None))
            for path in (
                "/models",
                "/models/cats",
                "/models/cats/versions",
                "/models/cats/aliases",
                "/protected-aliases",
                "/admins",
            )
        },
        "registry: add models, add aliases, download models": {
            "add a model": (fresh, lambda n: ("POST", f"{REG}/models", {"name": n})),
            "link a version": (
                world.fresh_model,
                lambda m: (
                    "POST",
                    f"{REG}/models/{m}/versions",
                    {"project": "vision", "artifact": "mnist", "version": "v0"},
                ),
            ),
            "add an alias": (
                None,
                lambda _: ("PUT", f"{REG}/models/cats/aliases/staging", {"version": "v0"}),
            ),
            "download a model": (
                None,
                lambda _: ("GET", f"{REG}/models/cats/versions/v0/download", None),
            ),
        },
        "registry: add / remove registry admins": {
            "add a registry admin": (
                lambda: world.registry_flag(False),
                lambda u: ("POST", f"{REG}/admins", {"username": u}),
            ),
            "remove a registry admin": (
                lambda: world.registry_flag(True),
                lambda u: ("DELETE", f"{REG}/admins/{u}", None),
            ),
        },
        "registry: add / remove protected aliases": {
            "protect an alias": (
                fresh,
                lambda a: ("POST", f"{REG}/protected-aliases", {"alias": a}),
            ),
            "unprotect an alias": (
                lambda: world.protect("doomed"),
                lambda a: ("DELETE", f"{REG}/protected-aliases/{a}", None),
            ),
            "set a protected alias on a model version": (
                lambda: world.protect("production"),
                lambda a: ("PUT", f"{REG}/models/cats/aliases/{a}", {"version": "v0"}),
            ),
            "remove a protected alias from a model version": (
                lambda: world.protect("production", on_model=True),
                lambda a: ("DELETE", f"{REG}/models/cats/aliases/{a}", None),
            ),
        },
    }


def _outcome(response):
    """True for success, else the status, checked against the error code it must carry."""
    if response.status_code < 300:
        return True
    code = response.json["error"]["code"]
    # Invisible answers exactly like missing: a private project's routes say the project does
    # not exist; team-level (registry) routes say the team does not exist.
    expected_codes = {403: {"permission_denied"}, 404: {"project_not_found", "team_not_found"}}
    if response.status_code in expected_codes and code not in expected_codes[response.status_code]:
        return f"{response.status_code} {code}"
    return response.status_code


# The same rows on a public project, for principals outside team lab: a person with no place
# in it and another team's service account (which may log runs there, SPEC §3) see artifacts
# and nothing more; the registry is the team's, not the project's, and stays hidden.
PUBLIC_PRINCIPALS = ["non_member", "other_team_service_account", "system_admin"]
PUBLIC_TABLE = {
    "view artifacts": [Y, Y, Y],
    "create / delete artifacts, edit metadata, edit / delete aliases": [D, D, D],
    "download artifacts": [D, D, D],
    "registry: view models": [H, H, D],
    "registry: add models, add aliases, download models": [H, H, D],
    "registry: add / remove registry admins": [H, H, D],
    "registry: add / remove protected aliases": [H, H, D],
}


def _run_matrix(client, world: World, row: str, principals: list, expected_row: list) -> dict:
    wrong = {}
    for operation, (prepare, build) in _ops(world)[row].items():
        for principal, expected in zip(principals, expected_row, strict=True):
            method, url, body = build(prepare() if prepare else None)
            kwargs = {"json": body} if body is not None else {}
            response = client.open(
                url, method=method, headers=bearer(world.keys[principal]), **kwargs
            )
            db.session.rollback()  # the next preparation sees what the request changed
            got = _outcome(response)
            if got != expected:
                wrong[(operation, principal)] = (got, expected)
    return wrong


@pytest.mark.parametrize("row", list(TABLE))
def test_artifact_and_registry_matrix(app, client, row):
    wrong = _run_matrix(client, World(app, client), row, PRINCIPALS, TABLE[row])
    assert wrong == {}, f"{row}: (got, expected) {wrong}"


@pytest.mark.parametrize("row", list(PUBLIC_TABLE))
def test_public_project_artifacts_for_outsiders(app, client, row):
    world = World(app, client, visibility="public")
    wrong = _run_matrix(client, world, row, PUBLIC_PRINCIPALS, PUBLIC_TABLE[row])
    assert wrong == {}, f"{row}: (got, expected) {wrong}"


def test_view_only_can_view_but_not_download_artifacts(app, client):
    """The seed example: a view-only member sees an artifact version but gets no file."""
    world = World(app, client)
    key = bearer(world.keys["view_only"])
    shown = client.get(f"{ART}/mnist/versions/v0", headers=key)
    assert shown.status_code == 200 and shown.json["file_count"] == 1
    refused = client.get(f"{ART}/mnist/versions/v0/download", headers=key)
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "permission_denied"
    assert refused.json["error"]["permission"] == "artifact:download"
