"""A seeded world for tests that walk the whole API (the fuzz test, the OpenAPI checks): a
team with its bucket, a project, a run with history and a file, a sweep, a report with a
comment, an artifact with a committed version and an alias, a registered model with an alias,
a protected alias, a custom role, a service account, an invited user and a team invitation —
all made through the API by a system admin, ``root``, who holds an enterprise license."""

from __future__ import annotations

from server.services import api_keys as key_service
from server.services import licensing
from tests.artifact_support import ArtifactClient
from tests.factories import bearer, make_key, make_user

T = "/api/v1/teams/acme"
P = f"{T}/projects/vision"


def _ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def seed_world(app, token: str) -> dict[str, str]:
    """Build the world through the API; return the path-parameter values that name it."""
    root = make_user("root", system_admin=True, password=None)
    make_user("bob", password=None)
    key = make_key(root)
    spare = key_service.create_key(root, "spare")[0].key_id
    licensing.install_license(token)
    client = app.test_client()

    def call(method, url, status=200, **body):
        return _ok(client.open(url, method=method, json=body, headers=bearer(key)), status)

    call("POST", "/api/v1/teams", 201, name="acme", admin="root")
    call("POST", f"{T}/members", 201, username="bob", role="member")
    call("POST", f"{T}/projects", 201, name="vision")
    made = _runs_and_reports(call)
    _artifacts_and_registry(ArtifactClient(app, client, key, team="acme", project="vision"), call)
    call("POST", "/api/v1/roles", 201, name="reviewer", base="view-only")
    call("POST", f"{T}/service-accounts", 201, name="bot")
    call("POST", "/api/v1/users", 201, email="carol@example.test")
    invited = call("POST", f"{T}/members", 201, email="dan@example.test", role="member")
    return {
        **made,
        "key": key,
        "team": "acme",
        "project": "vision",
        "version": "v0",
        "model": "model",
        "username": "bob",
        "key_id": spare,
        "token": invited["invite_url"].rstrip("/").rsplit("/", 1)[1],
    }


def _runs_and_reports(call) -> dict[str, str]:
    call("POST", f"{P}/runs", 201, run_id="run1", name="first", config={"lr": 0.1})
    call("POST", f"{P}/runs/run1/history", rows=[{"_step": 0, "loss": 1.0}])
    call("POST", f"{P}/runs/run1/files", 201, path="out.log", size=3)
    sweep_config = {"method": "random", "parameters": {"lr": {"values": [0.1]}}}
    sweep = call("POST", f"{P}/sweeps", 201, config=sweep_config)
    report = call("POST", f"{P}/reports", 201, title="Findings", body="# Findings")
    comment = call("POST", f"{P}/reports/{report['id']}/comments", 201, body="nice")
    return {
        "run_id": "run1",
        "sweep_id": sweep["sweep_id"],
        "id": str(report["id"]),
        "comment_id": str(comment["id"]),
    }


def _artifacts_and_registry(artifacts: ArtifactClient, call) -> None:
    _ok(artifacts.create("data"), 201)
    artifacts.log("data", {"a.txt": b"alpha"})
    call("PUT", f"{P}/artifacts/data/aliases/best", version="v0")
    call("POST", f"{T}/registry/models", 201, name="model")
    link = {"project": "vision", "artifact": "data", "version": "v0", "aliases": ["staging"]}
    call("POST", f"{T}/registry/models/model/versions", 201, **link)
    call("POST", f"{T}/registry/admins", 201, username="root")
    call("POST", f"{T}/registry/protected-aliases", 201, alias="prod")


def path_values(path: str, world: dict[str, str]) -> dict[str, str]:
    """The seeded object each path parameter of ``path`` names (``name`` and ``alias`` depend
    on where they appear)."""
    values = dict(world)
    if "/roles/" in path:
        values["name"] = "reviewer"
    elif "/service-accounts/" in path:
        values["name"] = "bot"
    else:
        values["name"] = "data"
    if "/protected-aliases/" in path:
        values["alias"] = "prod"
    elif "/registry/" in path:
        values["alias"] = "staging"
    else:
        values["alias"] = "best"
    return values
