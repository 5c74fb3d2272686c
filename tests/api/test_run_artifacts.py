"""Artifact use through the API (SQLite and PostgreSQL): a run declares the versions it used,
once each, with the time; the run lists them and a version lists the runs that used it, each
showing only what the reader may read; another team's private artifact is never reachable."""

from types import SimpleNamespace

import pytest

from server.extensions import db
from server.models import AuditEvent, Run, RunArtifactUse
from server.services import run_lineage
from tests.artifact_support import ArtifactClient, make_artifact_project, make_storage_team
from tests.factories import add_member, bearer, make_key, make_service_account, make_user

RUN = "/api/v1/teams/lab/projects/vision/runs/r1"
USED = RUN + "/used-artifacts"


@pytest.fixture
def lab(app, client):
    people = {name: make_user(name, password=None) for name in ("ada", "bob", "vic", "eve")}
    team = make_storage_team("lab", people["ada"])
    add_member(team, people["bob"], "member")
    add_member(team, people["vic"], "view-only")
    other = make_storage_team("other", people["eve"])
    make_artifact_project(team, people["bob"])
    make_artifact_project(other, people["eve"], "secret")
    make_artifact_project(other, people["eve"], "shared", visibility="public")
    keys = {name: make_key(user) for name, user in people.items()}
    bob = ArtifactClient(app, client, keys["bob"])
    bob.create("mnist")
    bob.log("mnist", {"a.txt": b"first"})
    bob.log("mnist", {"a.txt": b"second"}, run_id="r0")
    for project in ("secret", "shared"):
        eve = ArtifactClient(app, client, keys["eve"], team="other", project=project)
        eve.create("weights", type_="model")
        eve.log("weights", {"w.bin": b"\x00\x01"})
    made = client.post(
        "/api/v1/teams/lab/projects/vision/runs", json={"run_id": "r1"}, headers=bearer(keys["bob"])
    )
    assert made.status_code == 201, made.json
    return SimpleNamespace(team=team, other=other, keys=keys, people=people, client=client)


def _as(lab, name):
    headers = bearer(lab.keys[name])
    return SimpleNamespace(
        get=lambda path, **kw: lab.client.get(path, headers=headers, **kw),
        post=lambda path, body: lab.client.post(path, json=body, headers=headers),
    )


def test_a_run_declares_a_version_once_and_both_ends_list_it(lab):
    bob = _as(lab, "bob")
    first = bob.post(USED, {"artifact": "mnist", "version": "latest"})
    assert first.status_code == 201, first.json
    assert first.json["version"] == "v1" and first.json["team"] == "lab"
    assert first.json["type"] == "dataset" and first.json["used_by"] == "bob"
    again = bob.post(USED, {"artifact": "mnist", "version": "v1"})
    assert again.status_code == 200 and again.json["used_at"] == first.json["used_at"]
    assert bob.post(USED, {"artifact": "mnist", "version": "v0"}).status_code == 201
    listed = _as(lab, "vic").get(USED).json  # view-only members read it
    assert [(i["artifact"], i["version"]) for i in listed["items"]] == [
        ("mnist", "v1"),
        ("mnist", "v0"),
    ]
    assert db.session.query(RunArtifactUse).count() == 2
    events = db.session.query(AuditEvent).filter_by(action="run:use_artifact").all()
    assert [e.details["artifact"] for e in events] == ["lab/vision/mnist:v1", "lab/vision/mnist:v0"]
    users = bob.get("/api/v1/teams/lab/projects/vision/artifacts/mnist/versions/v1/used-by")
    assert users.status_code == 200
    assert [(u["run_id"], u["project"]) for u in users.json["items"]] == [("r1", "vision")]


def test_used_artifacts_page_with_the_cursor(lab):
    bob = _as(lab, "bob")
    for ref in ("v0", "v1"):
        assert bob.post(USED, {"artifact": "mnist", "version": ref}).status_code == 201
    page = bob.get(USED, query_string={"limit": 1}).json
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = bob.get(USED, query_string={"limit": 1, "cursor": page["next_cursor"]}).json
    assert [i["version"] for i in page["items"] + rest["items"]] == ["v0", "v1"]
    assert rest["next_cursor"] is None


def test_another_teams_artifact_only_when_public_and_hidden_from_outsiders(lab):
    bob, eve = _as(lab, "bob"), _as(lab, "eve")
    secret = bob.post(USED, {"team": "other", "project": "secret", "artifact": "weights"})
    assert secret.status_code == 404 and secret.json["error"]["code"] == "project_not_found"
    nowhere = bob.post(USED, {"team": "nowhere", "project": "x", "artifact": "weights"})
    assert nowhere.json["error"]["code"] == "team_not_found"
    shared = bob.post(USED, {"team": "other", "project": "shared", "artifact": "weights"})
    assert shared.status_code == 201, shared.json
    assert (shared.json["team"], shared.json["project"], shared.json["type"]) == (
        "other",
        "shared",
        "model",
    )
    by = "/api/v1/teams/other/projects/shared/artifacts/weights/versions/v0/used-by"
    assert [u["run_id"] for u in bob.get(by).json["items"]] == ["r1"]
    # eve may read the public artifact, not lab's private project: its run is left out.
    assert eve.get(by).status_code == 200 and eve.get(by).json["items"] == []
    assert eve.get(USED).status_code == 404


def test_those_who_may_not_log_to_the_run_are_refused_and_nothing_is_written(lab):
    vic = _as(lab, "vic").post(USED, {"artifact": "mnist"})
    assert vic.status_code == 403 and vic.json["error"]["code"] == "permission_denied"
    outsider = _as(lab, "eve").post(USED, {"artifact": "mnist"})
    assert outsider.status_code == 404
    assert db.session.query(RunArtifactUse).count() == 0


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"artifact": "nope"}, 404, "artifact_not_found"),
        ({"artifact": "mnist", "version": "v9"}, 404, "version_not_found"),
        ({"artifact": "mnist", "project": "missing"}, 404, "project_not_found"),
        ({"version": "v0"}, 422, "validation_failed"),
        ({"artifact": "mnist", "version": 3}, 422, "validation_failed"),
    ],
)
def test_bad_references_are_clear_errors(lab, body, status, code):
    response = _as(lab, "bob").post(USED, body)
    assert (response.status_code, response.json["error"]["code"]) == (status, code)
    assert db.session.query(RunArtifactUse).count() == 0


def test_a_pending_version_cannot_be_used(lab, app):
    bob = ArtifactClient(app, lab.client, lab.keys["bob"])
    assert bob.new_version("mnist", {"b.txt": b"pending"}).status_code == 201
    response = _as(lab, "bob").post(USED, {"artifact": "mnist", "version": "v2"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "version_not_committed"


def test_service_and_cascades(lab):
    """The service directly: a service account of the team may declare use on runs; deleting
    the run or the version removes the use."""
    bot = make_service_account(lab.team)
    run = db.session.query(Run).filter_by(run_id="r1").one()
    version = run_lineage.source_version(bot, run, artifact="mnist", version="v0")
    use, created = run_lineage.record_use(bot, run, version)
    assert created and use.used_by.username == bot.username
    assert run_lineage.record_use(bot, run, version)[1] is False
    assert [u.version.label for u in run_lineage.used_by(run, lab.people["vic"])] == ["v0"]
    assert run_lineage.used_by(run, lab.people["eve"]) == []
    newest = run_lineage.source_version(bot, run, artifact="mnist")
    run_lineage.record_use(bot, run, newest)
    headers = bearer(lab.keys["bob"])
    gone = lab.client.delete("/api/v1/teams/lab/projects/vision/artifacts/mnist/versions/v1",
                             headers=headers)  # fmt: skip
    assert gone.status_code == 204
    assert [u.version_id for u in db.session.query(RunArtifactUse)] == [version.id]
    assert lab.client.delete(RUN, headers=headers).status_code == 204
    assert db.session.query(RunArtifactUse).count() == 0


def test_a_service_account_declares_use_only_on_the_runs_it_sent(lab):
    """On another team's public project a service account holds ``run:log:own``: it declares
    what its own runs used (its own team's private artifacts included), never for others."""
    open_runs = "/api/v1/teams/lab/projects/open/runs"
    make_artifact_project(lab.team, lab.people["bob"], "open", visibility="public")
    bot_key = make_key(make_service_account(lab.other, "ci"))
    sent = lab.client.post(open_runs, json={"run_id": "ci-1"}, headers=bearer(bot_key))
    assert sent.status_code == 201, sent.json
    mine = lab.client.post(open_runs, json={"run_id": "bob-1"}, headers=bearer(lab.keys["bob"]))
    assert mine.status_code == 201
    body = {"team": "other", "project": "secret", "artifact": "weights"}
    own = lab.client.post(open_runs + "/ci-1/used-artifacts", json=body, headers=bearer(bot_key))
    assert own.status_code == 201, own.json
    assert (own.json["team"], own.json["project"]) == ("other", "secret")
    theirs = lab.client.post(
        open_runs + "/bob-1/used-artifacts", json=body, headers=bearer(bot_key)
    )
    assert theirs.status_code == 403 and theirs.json["error"]["code"] == "permission_denied"
    # bob reads the public run, but not the other team's private artifact it used.
    listed = lab.client.get(open_runs + "/ci-1/used-artifacts", headers=bearer(lab.keys["bob"]))
    assert listed.status_code == 200 and listed.json["items"] == []
    assert db.session.query(RunArtifactUse).count() == 1
