"""Sweeps through the API: create, show with runs, delete (detach or delete the runs)."""

from types import SimpleNamespace

import pytest

from server.extensions import db
from server.models import AuditEvent, Run, Sweep
from tests.factories import (
    bearer,
    make_key,
    make_project,
    make_run,
    make_sweep,
    make_team,
    make_user,
)

SWEEPS = "/api/v1/teams/lab/projects/mnist/sweeps"
CONFIG = {"method": "grid", "metric": {"name": "loss"}, "parameters": {"lr": {"values": [1, 2]}}}


@pytest.fixture
def lab():
    people = {name: make_user(name, password=None) for name in ("ada", "bob", "cat", "vic")}
    team = make_team(
        "lab",
        admins=[people["ada"]],
        members=[people["bob"], people["cat"]],
        viewers=[people["vic"]],
    )
    project = make_project(team, "mnist")
    keys = {name: make_key(user) for name, user in people.items()}
    return SimpleNamespace(project=project, people=people, keys=keys)


def _h(lab, who):
    return bearer(lab.keys[who])


def test_create_a_sweep_and_start_runs_in_it(client, lab):
    created = client.post(SWEEPS, json={"sweep_id": "s1", "config": CONFIG}, headers=_h(lab, "bob"))
    assert created.status_code == 201, created.json
    assert created.json["created_by"] == "bob" and created.json["run_count"] == 0
    runs = "/api/v1/teams/lab/projects/mnist/runs"
    for who in ("bob", "cat"):
        run = client.post(runs, json={"sweep": "s1", "config": {"lr": 1}}, headers=_h(lab, who))
        assert run.status_code == 201 and run.json["sweep"] == "s1"
    client.post(runs, json={}, headers=_h(lab, "bob"))
    shown = client.get(f"{SWEEPS}/s1", headers=_h(lab, "vic"))
    assert shown.status_code == 200 and shown.json["run_count"] == 2
    listed = client.get(f"{SWEEPS}/s1/runs", headers=_h(lab, "vic")).json["items"]
    assert sorted(r["created_by"] for r in listed) == ["bob", "cat"]
    assert [s["sweep_id"] for s in client.get(SWEEPS, headers=_h(lab, "vic")).json["items"]] == [
        "s1"
    ]
    assert db.session.query(AuditEvent).filter_by(action="sweep:create").count() == 1


def test_bad_sweeps_are_refused(client, lab):
    h = _h(lab, "bob")
    no_method = client.post(SWEEPS, json={"config": {"parameters": {"a": {}}}}, headers=h)
    assert no_method.status_code == 422
    assert no_method.json["error"]["code"] == "invalid_sweep_config"
    no_params = client.post(SWEEPS, json={"config": {"method": "random"}}, headers=h)
    assert no_params.json["error"]["code"] == "invalid_sweep_config"
    bad_id = client.post(SWEEPS, json={"sweep_id": "a b", "config": CONFIG}, headers=h)
    assert bad_id.json["error"]["code"] == "invalid_sweep_id"
    client.post(SWEEPS, json={"sweep_id": "s1", "config": CONFIG}, headers=h)
    again = client.post(SWEEPS, json={"sweep_id": "s1", "config": CONFIG}, headers=h)
    assert again.status_code == 409 and again.json["error"]["code"] == "sweep_exists"
    viewer = client.post(SWEEPS, json={"config": CONFIG}, headers=_h(lab, "vic"))
    assert viewer.status_code == 403 and viewer.json["error"]["code"] == "permission_denied"
    missing = client.get(f"{SWEEPS}/nope", headers=h)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "sweep_not_found"


def test_deleting_a_sweep_keeps_its_runs_by_default(client, lab):
    sweep = make_sweep(lab.project, lab.people["bob"], "s1")
    make_run(lab.project, lab.people["cat"], "r1", sweep_id=sweep.id)
    response = client.delete(f"{SWEEPS}/s1", headers=_h(lab, "bob"))
    assert response.status_code == 200 and response.json == {"runs_detached": 1}
    db.session.expire_all()
    assert db.session.query(Sweep).count() == 0
    assert db.session.query(Run).one().sweep_id is None


def test_a_member_cannot_delete_another_members_run_through_a_sweep(client, lab):
    sweep = make_sweep(lab.project, lab.people["bob"], "s1")
    make_run(lab.project, lab.people["bob"], "mine", sweep_id=sweep.id)
    make_run(lab.project, lab.people["cat"], "cats", sweep_id=sweep.id)
    url = f"{SWEEPS}/s1?delete_runs=true"
    refused = client.delete(url, headers=_h(lab, "bob"))
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "permission_denied"
    assert refused.json["error"]["runs"] == ["cats"]
    assert db.session.query(Run).count() == 2 and db.session.query(Sweep).count() == 1
    deleted = client.delete(url, headers=_h(lab, "ada"))
    assert deleted.status_code == 200 and deleted.json == {"runs_deleted": 2}
    assert db.session.query(Run).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="run:delete").count() == 2


def test_members_delete_their_own_sweeps_only(client, lab):
    make_sweep(lab.project, lab.people["bob"], "s1")
    other = client.delete(f"{SWEEPS}/s1", headers=_h(lab, "cat"))
    assert other.status_code == 403 and other.json["error"]["permission"] == "run:delete"
    viewer = client.delete(f"{SWEEPS}/s1", headers=_h(lab, "vic"))
    assert viewer.status_code == 403
    own = client.delete(f"{SWEEPS}/s1?delete_runs=true", headers=_h(lab, "bob"))
    assert own.status_code == 200 and own.json == {"runs_deleted": 0}
    assert db.session.query(AuditEvent).filter_by(action="sweep:delete").count() == 1


def test_sweep_runs_are_paginated(client, lab):
    sweep = make_sweep(lab.project, lab.people["bob"], "s1")
    for i in range(3):
        make_run(lab.project, lab.people["bob"], f"r{i}", sweep_id=sweep.id)
    first = client.get(f"{SWEEPS}/s1/runs?limit=2", headers=_h(lab, "vic")).json
    assert [r["run_id"] for r in first["items"]] == ["r0", "r1"]
    rest = client.get(
        f"{SWEEPS}/s1/runs?limit=2&cursor={first['next_cursor']}", headers=_h(lab, "vic")
    ).json
    assert [r["run_id"] for r in rest["items"]] == ["r2"] and rest["next_cursor"] is None
