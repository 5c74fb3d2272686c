"""SQL statements per request on the hot paths, counted on the engine (a behaviour, not a timing).

Budgets: an authenticated ``GET /viewer`` 1, a run list 3, creating a run 5 (the key; team,
project and membership; the run; its audit event; the daily activity rollup, whose monthly
and day-total rollups database triggers keep in the same statement), appending a history
batch <= 4 whatever its size (plus at most 3 for the console charts' rollup), finishing a run
<= 5; a W&B stream request's history is one batch, whatever its number of rows. Each count is
taken after a warm-up request, so what is cached per process (settings, role tables) is not
counted; what must stay per request (the key and its owner, so revocation is immediate) is.
"""

import json
from types import SimpleNamespace

import pytest

from server.services import run_history
from tests.factories import bearer, count_queries, make_key, make_project, make_team, make_user
from tests.wandb.test_protocol import stream, upsert

RUNS = "/api/v1/teams/lab/projects/mnist/runs"


@pytest.fixture
def lab():
    bob = make_user("bob", password=None)
    team = make_team("lab", members=[bob])
    make_project(team, "mnist", created_by=bob)
    key = make_key(bob)
    return SimpleNamespace(bob=bob, key=key, headers=bearer(key))


def _shown(seen):
    return "\n".join(statement.split(" WHERE ")[0][:160] for statement in seen)


def _counted(call):
    with count_queries() as seen:
        response = call()
    assert response.status_code < 300, response.json
    return response, seen


def test_viewer_answers_in_one_query(client, lab):
    """The key, its owner and the owner's default team come in the key lookup's one query."""
    client.get("/api/v1/viewer", headers=lab.headers)
    response, seen = _counted(lambda: client.get("/api/v1/viewer", headers=lab.headers))
    assert response.json["username"] == "bob" and response.json["default_team"] == "lab"
    assert len(seen) == 1, _shown(seen)


def test_listing_runs_stays_within_budget(client, lab):
    for n in range(3):
        client.post(RUNS, json={"run_id": f"r{n}"}, headers=lab.headers)
    response, seen = _counted(lambda: client.get(RUNS, headers=lab.headers))
    assert len(response.json["items"]) == 3
    assert len(seen) <= 3, _shown(seen)


def test_creating_a_run_takes_at_most_five_queries(client, lab):
    client.post(RUNS, json={"run_id": "warm"}, headers=lab.headers)
    body = {"run_id": "r1", "config": {"lr": 0.1}, "tags": ["a"], "group": "g"}
    response, seen = _counted(lambda: client.post(RUNS, json=body, headers=lab.headers))
    assert response.json["run_id"] == "r1" and response.json["created_by"] == "bob"
    assert len(seen) <= 5, _shown(seen)


@pytest.mark.parametrize("size", [1, 500])
def test_history_append_takes_four_queries_plus_the_rollup_whatever_the_batch(client, lab, size):
    """Four for the history itself, and at most three more that fold the batch into the
    console charts' downsampled buckets (``run_metric_buckets``, and the run's first step they
    are laid out from), for a first and a later batch alike."""
    client.post(RUNS, json={"run_id": "r1"}, headers=lab.headers)
    url = f"{RUNS}/r1/history"
    for first in (0, size):
        rows = [{"_step": first + n, "loss": 1 / (first + n + 1)} for n in range(size)]
        response, seen = _counted(
            lambda rows=rows: client.post(url, json={"rows": rows}, headers=lab.headers)
        )
        assert response.json["accepted"] == size
        assert len(seen) <= 4 + 3, _shown(seen)


def test_finishing_a_run_takes_at_most_five_queries(client, lab):
    client.post(RUNS, json={"run_id": "r1"}, headers=lab.headers)
    url = f"{RUNS}/r1"
    response, seen = _counted(
        lambda: client.patch(url, json={"state": "finished", "exit_code": 0}, headers=lab.headers)
    )
    assert response.json["state"] == "finished"
    assert len(seen) <= 5, _shown(seen)


def test_a_stream_request_stores_its_history_as_one_batch_whatever_its_rows(client, lab):
    """The SDK's final request can hold a fast script's whole history: its rows go in as one
    batch (one summary update, one rollup), with one more INSERT per INSERT_ROWS rows."""
    counts = {}
    for run, size in (("small", 1_000), ("large", 20_000)):
        upsert(client, lab.key, run=run)
        lines = [json.dumps({"_step": s, "loss": 1 / (s + 1), "acc": s % 7}) for s in range(size)]
        body = {"files": {"wandb-history.jsonl": {"offset": 0, "content": lines}}}
        _, seen = _counted(lambda run=run, body=body: stream(client, lab.key, body, run=run))
        counts[size] = len(seen)
        stored = client.get(f"/api/v1/teams/lab/projects/p/runs/{run}", headers=lab.headers)
        assert stored.json["history"]["rows"] == size
    inserts = 20_000 // run_history.INSERT_ROWS
    assert counts[20_000] <= counts[1_000] + inserts - 1, counts
