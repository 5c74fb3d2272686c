"""Runs through the API: logging, history, finishing, stopping, moving, deleting."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from server.auth import can
from server.extensions import db
from server.models import AuditEvent, Run, RunHistoryRow
from server.services import metric_series
from tests.factories import (
    add_member,
    bearer,
    count_queries,
    make_key,
    make_project,
    make_run,
    make_sweep,
    make_team,
    make_user,
)

RUNS = "/api/v1/teams/lab/projects/mnist/runs"


@pytest.fixture
def lab():
    # API keys only: no password hashing to wait for.
    people = {name: make_user(name, password=None) for name in ("ada", "bob", "cat", "vic", "out")}
    team = make_team(
        "lab",
        admins=[people["ada"]],
        members=[people["bob"], people["cat"]],
        viewers=[people["vic"]],
    )
    project = make_project(team, "mnist", created_by=people["bob"])
    keys = {name: make_key(user) for name, user in people.items()}
    return SimpleNamespace(team=team, project=project, people=people, keys=keys)


def _as(lab, who):
    return bearer(lab.keys[who])


def _audited(action):
    return db.session.query(AuditEvent).filter_by(action=action).count()


def test_a_member_starts_a_run_with_a_generated_id(client, lab):
    response = client.post(
        RUNS,
        json={"config": {"lr": 0.1}, "tags": ["baseline", " baseline "], "group": "g1"},
        headers=_as(lab, "bob"),
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert len(body["run_id"]) == 8 and body["name"] == body["run_id"]
    assert body["state"] == "running" and body["stop_requested"] is False
    assert body["config"] == {"lr": 0.1} and body["tags"] == ["baseline"]
    assert body["created_by"] == "bob" and body["logged_by"] == "bob"
    assert body["warnings"] == []
    assert _audited("run:create") == 1
    shown = client.get(f"{RUNS}/{body['run_id']}", headers=_as(lab, "vic"))
    assert shown.status_code == 200 and shown.json["group"] == "g1"


def test_client_chosen_ids_are_checked_and_unique(client, lab):
    assert client.post(RUNS, json={"run_id": "abc"}, headers=_as(lab, "bob")).status_code == 201
    again = client.post(RUNS, json={"run_id": "abc"}, headers=_as(lab, "cat"))
    assert again.status_code == 409 and again.json["error"]["code"] == "run_exists"
    bad = client.post(RUNS, json={"run_id": "a/b c"}, headers=_as(lab, "bob"))
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_run_id"
    sweepless = client.post(RUNS, json={"sweep": "nope"}, headers=_as(lab, "bob"))
    assert sweepless.status_code == 404 and sweepless.json["error"]["code"] == "sweep_not_found"


@pytest.mark.parametrize(
    "who, status, code", [("vic", 403, "permission_denied"), ("out", 404, "project_not_found")]
)
def test_view_only_and_outsiders_cannot_log(client, lab, who, status, code):
    response = client.post(RUNS, json={}, headers=_as(lab, who))
    assert response.status_code == status and response.json["error"]["code"] == code
    assert db.session.query(Run).count() == 0


def test_update_merges_config_and_summary_and_finishes(client, lab):
    make_run(lab.project, lab.people["bob"], "r1", config={"lr": 0.1, "bs": 32})
    url = f"{RUNS}/r1"
    # Any member may log to a run of the team (SPEC: "log runs" is not an own-only right).
    response = client.patch(
        url,
        json={"config": {"bs": 64}, "summary": {"acc": 0.9}, "tags": ["best"]},
        headers=_as(lab, "cat"),
    )
    assert response.status_code == 200, response.json
    assert response.json["config"] == {"lr": 0.1, "bs": 64}
    assert response.json["summary"] == {"acc": 0.9} and response.json["tags"] == ["best"]
    done = client.patch(url, json={"state": "finished", "exit_code": 0}, headers=_as(lab, "bob"))
    assert done.json["state"] == "finished" and done.json["finished_at"] is not None
    retried = client.patch(url, json={"state": "finished"}, headers=_as(lab, "bob"))
    assert retried.status_code == 200 and retried.json["state"] == "finished"
    crashed = client.patch(url, json={"state": "crashed"}, headers=_as(lab, "bob"))
    assert crashed.status_code == 409 and crashed.json["error"]["code"] == "run_not_running"
    stopped = client.patch(url, json={"state": "stopped"}, headers=_as(lab, "bob"))
    assert stopped.status_code == 422  # only a stop request leads to "stopped"
    refused = client.patch(url, json={"summary": {"x": 1}}, headers=_as(lab, "vic"))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "permission_denied"


def _rows(start, count, **extra):
    return [{"_step": s, "loss": 1 / (s + 1), **extra} for s in range(start, start + count)]


def test_history_is_appended_in_batches_and_read_page_by_page(client, lab):
    make_run(lab.project, lab.people["bob"], "r1")
    url = f"{RUNS}/r1/history"
    first = client.post(url, json={"rows": _rows(0, 5, acc=0.5)}, headers=_as(lab, "bob"))
    assert first.status_code == 200, first.json
    assert first.json == {"accepted": 5, "last_step": 4, "stop_requested": False}
    client.post(url, json={"rows": _rows(5, 5, acc=0.7)}, headers=_as(lab, "bob"))
    page = client.get(f"{url}?limit=4", headers=_as(lab, "vic")).json
    assert [row["_step"] for row in page["items"]] == [0, 1, 2, 3]
    rest = client.get(f"{url}?limit=4&cursor={page['next_cursor']}", headers=_as(lab, "vic")).json
    assert [row["_step"] for row in rest["items"]] == [4, 5, 6, 7]
    only_acc = client.get(f"{url}?keys=acc&min_step=8", headers=_as(lab, "vic")).json
    assert only_acc["items"] == [{"_step": 8, "acc": 0.7}, {"_step": 9, "acc": 0.7}]
    assert only_acc["next_cursor"] is None
    run = client.get(f"{RUNS}/r1", headers=_as(lab, "vic")).json
    assert run["history"] == {"rows": 10, "last_step": 9}
    assert run["summary"] == {"loss": 0.1, "acc": 0.7}  # each metric's latest value


def test_bad_history_batches_are_refused_whole(client, lab):
    make_run(lab.project, lab.people["bob"], "r1")
    url = f"{RUNS}/r1/history"
    h = _as(lab, "bob")
    client.post(url, json={"rows": _rows(0, 3)}, headers=h)
    replay = client.post(url, json={"rows": _rows(2, 3)}, headers=h)
    assert replay.status_code == 409
    assert replay.json["error"]["code"] == "step_not_increasing"
    assert replay.json["error"]["last_step"] == 2
    unordered = client.post(url, json={"rows": [{"_step": 9}, {"_step": 8}]}, headers=h)
    assert unordered.status_code == 422
    assert unordered.json["error"]["code"] == "step_not_increasing"
    missing = client.post(url, json={"rows": [{"_step": 10}, {"loss": 1}]}, headers=h)
    assert missing.json["error"]["code"] == "invalid_step"
    assert missing.json["error"]["errors"][0]["field"] == "rows.1._step"
    for bad in ("3", 1.5, True, -1):
        response = client.post(url, json={"rows": [{"_step": bad}]}, headers=h)
        assert response.json["error"]["code"] == "invalid_step", bad
    too_many = client.post(url, json={"rows": _rows(10, 1001)}, headers=h)
    assert too_many.status_code == 422 and too_many.json["error"]["code"] == "validation_failed"
    too_big = client.post(url, json={"rows": [{"_step": 20, "blob": "x" * 4_200_000}]}, headers=h)
    assert too_big.json["error"]["code"] == "history_batch_too_large"
    assert db.session.query(RunHistoryRow).count() == 3
    assert client.post(url, json={"rows": []}, headers=h).status_code == 422
    assert client.post(url, json={"rows": _rows(3, 2)}, headers=_as(lab, "vic")).status_code == 403


def test_numbers_too_big_for_their_columns_are_refused(client, lab):
    make_run(lab.project, lab.people["bob"], "r1")
    h = _as(lab, "bob")
    for exit_code in (2**31, -(2**31) - 1, 10**30):
        response = client.patch(
            f"{RUNS}/r1", json={"state": "finished", "exit_code": exit_code}, headers=h
        )
        assert response.status_code == 422, response.json
        assert response.json["error"]["errors"][0]["field"] == "exit_code"
    history = client.get(f"{RUNS}/r1/history?min_step={2**63}", headers=h)
    assert history.status_code == 422
    assert history.json["error"]["errors"][0]["field"] == "min_step"
    assert client.get(f"{RUNS}/r1", headers=h).json["state"] == "running"
    done = client.patch(f"{RUNS}/r1", json={"state": "crashed", "exit_code": -9}, headers=h)
    assert done.status_code == 200 and done.json["exit_code"] == -9


def test_a_metric_too_big_for_a_float_is_stored_and_left_out_of_the_charts(client, lab):
    make_run(lab.project, lab.people["bob"], "r1")
    h = _as(lab, "bob")
    huge = 10**400  # valid JSON; float() of it overflows
    response = client.post(
        f"{RUNS}/r1/history", json={"rows": [{"_step": 0, "big": huge, "loss": 0.5}]}, headers=h
    )
    assert response.status_code == 200, response.json
    rows = client.get(f"{RUNS}/r1/history", headers=h).json["items"]
    assert rows[0]["big"] == huge and rows[0]["loss"] == 0.5
    run = db.session.scalar(select(Run).where(Run.run_id == "r1"))
    charts = metric_series.run_metrics(run, ["big", "loss"])
    assert charts.keys == ["loss"] and charts.series["loss"].points[0].mean == 0.5


def test_finished_runs_take_no_more_history(client, lab):
    make_run(lab.project, lab.people["bob"], "r1", state="finished")
    response = client.post(
        f"{RUNS}/r1/history", json={"rows": _rows(0, 1)}, headers=_as(lab, "bob")
    )
    assert response.status_code == 409 and response.json["error"]["code"] == "run_not_running"


def test_a_stop_request_is_seen_by_the_client_which_then_ends_the_run(client, lab):
    make_run(lab.project, lab.people["bob"], "r1")
    stop = client.post(f"{RUNS}/r1/stop", headers=_as(lab, "bob"))  # no body needed
    assert stop.status_code == 200, stop.json
    assert stop.json["stop_requested"] is True and stop.json["state"] == "running"
    logged = client.post(f"{RUNS}/r1/history", json={"rows": _rows(0, 1)}, headers=_as(lab, "bob"))
    assert logged.json["stop_requested"] is True
    ended = client.patch(f"{RUNS}/r1", json={"state": "finished"}, headers=_as(lab, "bob"))
    assert ended.json["state"] == "stopped"
    again = client.post(f"{RUNS}/r1/stop", headers=_as(lab, "bob"))
    assert again.status_code == 409 and again.json["error"]["code"] == "run_not_running"
    assert _audited("run:stop") == 1


def test_stopping_other_members_runs_needs_a_team_admin(client, lab):
    make_run(lab.project, lab.people["bob"], "r1")
    refused = client.post(f"{RUNS}/r1/stop", json={}, headers=_as(lab, "cat"))
    assert refused.status_code == 403 and refused.json["error"]["permission"] == "run:stop"
    forced = client.post(f"{RUNS}/r1/stop", json={"force": True}, headers=_as(lab, "ada"))
    assert forced.status_code == 200 and forced.json["state"] == "stopped"
    # The client, unaware, finishes afterwards: the run stays stopped.
    late = client.patch(f"{RUNS}/r1", json={"state": "finished"}, headers=_as(lab, "bob"))
    assert late.status_code == 200 and late.json["state"] == "stopped"


def test_delete_own_runs_and_admins_delete_any(client, lab):
    make_run(lab.project, lab.people["bob"], "r1")
    client.post(f"{RUNS}/r1/history", json={"rows": _rows(0, 3)}, headers=_as(lab, "bob"))
    refused = client.delete(f"{RUNS}/r1", headers=_as(lab, "cat"))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "permission_denied"
    assert client.delete(f"{RUNS}/r1", headers=_as(lab, "bob")).status_code == 204
    assert db.session.query(Run).count() == 0 and db.session.query(RunHistoryRow).count() == 0
    make_run(lab.project, lab.people["cat"], "r2")
    assert client.delete(f"{RUNS}/r2", headers=_as(lab, "ada")).status_code == 204
    gone = client.get(f"{RUNS}/r2", headers=_as(lab, "ada"))
    assert gone.status_code == 404 and gone.json["error"]["code"] == "run_not_found"
    assert _audited("run:delete") == 2


def test_a_member_cannot_delete_a_run_another_member_moved_into_their_project(client, lab):
    """SPEC §3: ownership follows the creator, not the project."""
    make_project(lab.team, "adas-project", created_by=lab.people["cat"])
    make_run(lab.project, lab.people["bob"], "r1")
    moved = client.post(
        f"{RUNS}/r1/move", json={"project": "adas-project"}, headers=_as(lab, "bob")
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["project"] == "adas-project" and moved.json["created_by"] == "bob"
    url = "/api/v1/teams/lab/projects/adas-project/runs/r1"
    refused = client.delete(url, headers=_as(lab, "cat"))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "permission_denied"
    assert client.post(f"{url}/stop", headers=_as(lab, "cat")).status_code == 403
    assert client.get(f"{RUNS}/r1", headers=_as(lab, "bob")).status_code == 404
    assert client.delete(url, headers=_as(lab, "bob")).status_code == 204
    event = db.session.query(AuditEvent).filter_by(action="run:move").one()
    assert event.details == {"from": "mnist", "to": "adas-project"}


def test_moving_is_checked(client, lab):
    other = make_project(lab.team, "other")
    sweep = make_sweep(lab.project, lab.people["bob"])
    make_run(lab.project, lab.people["bob"], "r1", sweep_id=sweep.id)
    make_run(other, lab.people["bob"], "r2")
    make_run(lab.project, lab.people["bob"], "r2")
    h = _as(lab, "bob")
    same = client.post(f"{RUNS}/r1/move", json={"project": "mnist"}, headers=h)
    assert same.status_code == 422 and same.json["error"]["code"] == "same_project"
    taken = client.post(f"{RUNS}/r2/move", json={"project": "other"}, headers=h)
    assert taken.status_code == 409 and taken.json["error"]["code"] == "run_exists"
    nowhere = client.post(f"{RUNS}/r1/move", json={"project": "nope"}, headers=h)
    assert nowhere.status_code == 404 and nowhere.json["error"]["code"] == "project_not_found"
    not_theirs = client.post(f"{RUNS}/r1/move", json={"project": "other"}, headers=_as(lab, "cat"))
    assert not_theirs.status_code == 403
    viewer = client.post(f"{RUNS}/r1/move", json={"project": "other"}, headers=_as(lab, "vic"))
    assert viewer.status_code == 403
    moved = client.post(f"{RUNS}/r1/move", json={"project": "other"}, headers=h)
    assert moved.status_code == 200 and moved.json["sweep"] is None  # it left its sweep
    by_admin = client.post(f"{RUNS}/r2/move", json={"project": "adas"}, headers=_as(lab, "ada"))
    assert by_admin.json["error"]["code"] == "project_not_found"


def test_runs_are_listed_page_by_page_with_filters(client, lab):
    sweep = make_sweep(lab.project, lab.people["bob"], "s1")
    for i in range(5):
        make_run(
            lab.project,
            lab.people["bob"],
            f"r{i}",
            state="finished" if i % 2 else "running",
            group="even" if i % 2 == 0 else "odd",
            sweep_id=sweep.id if i < 2 else None,
        )
    first = client.get(f"{RUNS}?limit=2", headers=_as(lab, "vic")).json
    assert [r["run_id"] for r in first["items"]] == ["r0", "r1"]
    nxt = client.get(f"{RUNS}?limit=2&cursor={first['next_cursor']}", headers=_as(lab, "vic"))
    assert [r["run_id"] for r in nxt.json["items"]] == ["r2", "r3"]

    def ids(query):
        response = client.get(f"{RUNS}?{query}", headers=_as(lab, "vic"))
        return [r["run_id"] for r in response.json["items"]]

    assert ids("state=finished") == ["r1", "r3"]
    assert ids("group=even") == ["r0", "r2", "r4"]
    assert ids("sweep=s1") == ["r0", "r1"]
    bad = client.get(f"{RUNS}?state=paused", headers=_as(lab, "vic"))
    assert bad.status_code == 422
    assert client.get(f"{RUNS}?cursor=%%%", headers=_as(lab, "vic")).status_code == 422


def _fill(lab, count):
    creators = [lab.people["bob"], lab.people["cat"], lab.people["ada"]]
    sweeps = [make_sweep(lab.project, person) for person in creators]
    for i in range(count):
        make_run(lab.project, creators[i % 3], sweep_id=sweeps[i % 3].id)


def test_listing_many_runs_costs_the_same_queries_as_listing_few(client, lab):
    _fill(lab, 3)
    client.get(RUNS, headers=_as(lab, "vic"))  # the key's first use also records "last used"
    with count_queries() as few:
        assert len(client.get(f"{RUNS}?limit=200", headers=_as(lab, "vic")).json["items"]) == 3
    _fill(lab, 60)
    with count_queries() as many:
        assert len(client.get(f"{RUNS}?limit=200", headers=_as(lab, "vic")).json["items"]) == 63
    assert len(many) == len(few) <= 3, many  # key, scope (team, project, membership), page


def _crowd(lab, teams):
    """Many teams where cat holds every kind of role, each with more members."""
    roles = ("admin", "member", "view-only")
    for n in range(teams):
        crowd = [make_user(password=None) for _ in range(3)]
        team = make_team(f"extra{n}", admins=[crowd[0]], members=crowd[1:])
        add_member(team, lab.people["cat"], roles[n % 3], registry_admin=n % 2 == 0)
        make_project(team, "mnist")


def test_one_decision_costs_the_same_whatever_the_number_of_teams_and_members(client, lab):
    make_run(lab.project, lab.people["bob"], "r1")
    url = f"{RUNS}/r1"
    client.get(url, headers=_as(lab, "cat"))  # the key's first use also records "last used"
    with count_queries() as small:
        assert client.delete(url, headers=_as(lab, "cat")).status_code == 403
    _crowd(lab, 12)
    with count_queries() as large:
        assert client.delete(url, headers=_as(lab, "cat")).status_code == 403
    assert len(large) == len(small), large


def test_authorize_answers_with_one_query(app, lab):
    _crowd(lab, 6)
    run = make_run(lab.project, lab.people["bob"], "r1")
    assert run.project.team_id == lab.team.id  # loaded before counting, as loaders do
    for who, allowed in (("cat", False), ("bob", True), ("ada", True), ("out", False)):
        principal = lab.people[who]
        assert principal.is_active  # the principal is loaded before the request, as at sign-in
        with app.test_request_context(), count_queries() as seen:
            assert can(principal, "run:delete", run) is allowed
        assert len(seen) == 1, (who, seen)


def test_deleting_the_project_deletes_its_runs_and_history(client, lab):
    make_run(lab.project, lab.people["bob"], "r1")
    client.post(f"{RUNS}/r1/history", json={"rows": _rows(0, 2)}, headers=_as(lab, "bob"))
    response = client.delete(
        "/api/v1/teams/lab/projects/mnist", json={"confirm": "mnist"}, headers=_as(lab, "ada")
    )
    assert response.status_code == 204
    assert db.session.query(Run).count() == 0 and db.session.query(RunHistoryRow).count() == 0


def test_runs_started_through_the_api_show_on_the_activity_dashboard(client, lab):
    for _ in range(2):
        assert client.post(RUNS, json={}, headers=_as(lab, "bob")).status_code == 201
    admin_key = make_key(make_user("root", password=None, system_admin=True))
    body = client.get("/api/v1/system/activity?period=30d", headers=bearer(admin_key)).json
    assert sum(point["runs"] for point in body["runs_created"]) == 2
    assert body["top_teams"][0]["team"] == "lab" and body["top_teams"][0]["runs_created"] == 2
