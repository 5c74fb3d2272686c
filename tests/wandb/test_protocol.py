"""The W&B protocol door in process, on both databases: GraphQL dispatch, unknown fields,
authentication, and the file stream's idempotence. The real SDK runs in tests/wandb_sdk."""

import base64
import json

import pytest

from server.services import teams as team_service
from tests.factories import add_member, make_key, make_project, make_user

UPSERT = """
mutation UpsertBucket($name: String, $project: String, $entity: String, $config: JSONString,
                      $summaryMetrics: JSONString) {
  upsertBucket(input: {name: $name, modelName: $project, entityName: $entity, config: $config,
                       summaryMetrics: $summaryMetrics}) {
    bucket { id name config project { id name entity { name } } historyLineCount futureField }
    inserted
  }
}
"""


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"api:{key}".encode()).decode()}


@pytest.fixture
def lab(app):
    ada, bob, vic = (make_user(n) for n in ("ada", "bob", "vic"))
    team = team_service.create_team(ada, "lab")
    add_member(team, bob, "member")
    add_member(team, vic, "view-only")
    return {user.username: make_key(user) for user in (ada, bob, vic)}


def gql(client, key, query, variables=None, name=""):
    body = {"query": query, "variables": variables or {}, "operationName": name}
    return client.post("/graphql", json=body, headers=basic(key))


def upsert(client, key, run="r1", project="p", **extra):
    variables = {"name": run, "project": project, "entity": "lab", **extra}
    return gql(client, key, UPSERT, variables, "UpsertBucket")


def stream(client, key, body, run="r1"):
    return client.post(f"/files/lab/p/{run}/file_stream", json=body, headers=basic(key))


def test_viewer_answers_with_w_and_b_shapes_and_nulls_for_unknown_fields(client, lab):
    response = gql(
        client,
        lab["bob"],
        "query Viewer { viewer { id entity username flags somethingNew teams { edges { node "
        "{ name } } } } serverInfo { features { name isEnabled } } unknownRoot { x } }",
    )
    assert response.status_code == 200
    data = response.json["data"]
    assert data["viewer"]["entity"] == "lab" and data["viewer"]["username"] == "bob"
    assert data["viewer"]["somethingNew"] is None
    assert data["viewer"]["teams"]["edges"] == [{"node": {"name": "lab"}}]
    assert data["serverInfo"] == {"features": []}
    assert data["unknownRoot"] is None
    assert "errors" not in response.json


def test_upsert_creates_the_project_and_run_and_unwraps_config(client, lab):
    config = json.dumps({"lr": {"value": 0.1}, "_wandb": {"value": {"t": {}}}})
    response = upsert(client, lab["bob"], config=config)
    assert response.status_code == 200, response.json
    result = response.json["data"]["upsertBucket"]
    assert result["inserted"] is True
    assert result["bucket"]["futureField"] is None
    assert result["bucket"]["project"]["entity"]["name"] == "lab"
    assert json.loads(result["bucket"]["config"]) == {"lr": {"value": 0.1}}
    run = client.get("/api/v1/teams/lab/projects/p/runs/r1", headers=basic(lab["ada"])).json
    assert run["config"] == {"lr": 0.1} and run["created_by"] == "bob"
    again = upsert(client, lab["bob"], config=json.dumps({"bs": {"value": 32}}))
    assert again.json["data"]["upsertBucket"]["inserted"] is False
    run = client.get("/api/v1/teams/lab/projects/p/runs/r1", headers=basic(lab["ada"])).json
    assert run["config"] == {"lr": 0.1, "bs": 32}


def test_view_only_member_gets_an_error_saying_they_may_not_log_runs(client, lab):
    response = upsert(client, lab["vic"])
    assert response.status_code == 200
    assert response.json["data"]["upsertBucket"] is None
    error = response.json["errors"][0]
    assert "may not log runs" in error["message"]
    assert error["extensions"]["code"] == "permission_denied"


def test_outsider_cannot_see_or_write_a_private_project(client, lab, app):
    olga = make_user("olga")
    other = team_service.create_team(olga, "other")
    make_project(other, "secret", created_by=olga)
    write = gql(
        client,
        lab["bob"],
        UPSERT,
        {"name": "x", "project": "secret", "entity": "other"},
    )
    assert write.json["data"]["upsertBucket"] is None
    assert write.json["errors"][0]["extensions"]["code"] == "team_not_found"
    read = gql(client, lab["bob"], '{ project(name: "secret", entityName: "other") { id } }')
    assert read.json["data"]["project"] is None


def test_bad_or_missing_keys_are_401_with_a_graphql_error(client, lab):
    response = gql(client, "op_nosuchkey0000_" + "a" * 43, "{ viewer { id } }")
    assert response.status_code == 401
    assert response.json["errors"][0]["extensions"]["code"] == "invalid_api_key"
    response = client.post("/graphql", json={"query": "{ viewer { id } }"})
    assert response.status_code == 401
    bearer = client.post(
        "/graphql",
        json={"query": "{ viewer { username } }"},
        headers={"Authorization": f"Bearer {lab['bob']}"},
    )
    assert bearer.json["data"]["viewer"]["username"] == "bob"


def test_malformed_documents_are_400(client, lab):
    response = gql(client, lab["bob"], "query {")
    assert response.status_code == 400
    assert response.json["errors"][0]["extensions"]["code"] == "malformed_graphql"


def history(n0, n1):
    return [json.dumps({"_step": i, "loss": 1 / (i + 1), "_runtime": 0.1}) for i in range(n0, n1)]


def test_file_stream_is_idempotent_and_finishes_like_rest(client, lab):
    upsert(client, lab["bob"])
    first = {
        "files": {
            "wandb-history.jsonl": {"offset": 0, "content": history(0, 3)},
            "output.log": {"offset": 0, "content": ["epoch 0", "epoch 1"]},
            "wandb-events.jsonl": {"offset": 0, "content": ['{"system.cpu": 5}']},
            "wandb-summary.json": {"offset": 0, "content": ['{"loss": 0.33, "_step": 2}']},
        }
    }
    assert stream(client, lab["bob"], first).status_code == 200
    assert stream(client, lab["bob"], first).status_code == 200  # a resend changes nothing
    second = {
        "files": {
            "wandb-history.jsonl": {"offset": 2, "content": history(2, 5)},  # overlaps line 2
            "output.log": {"offset": 1, "content": ["epoch 1 done", "epoch 2"]},
            "wandb-summary.json": {"offset": 0, "content": ['{"acc": 0.9}']},
        },
        "complete": True,
        "exitcode": 1,
    }
    assert stream(client, lab["bob"], second).status_code == 200
    base = "/api/v1/teams/lab/projects/p/runs/r1"
    run = client.get(base, headers=basic(lab["ada"])).json
    assert run["history"] == {"rows": 5, "last_step": 4}
    assert run["summary"] == {"acc": 0.9}  # replaced whole
    assert (run["state"], run["exit_code"]) == ("crashed", 1)
    console = client.get(base + "/console", headers=basic(lab["ada"])).json["items"]
    assert [line["text"] for line in console] == ["epoch 0", "epoch 1 done", "epoch 2"]
    system = client.get(base + "/system-metrics", headers=basic(lab["ada"])).json["items"]
    assert system == [{"line": 0, "metrics": {"system.cpu": 5}}]
    steps = [
        r["_step"] for r in client.get(base + "/history", headers=basic(lab["ada"])).json["items"]
    ]
    assert steps == [0, 1, 2, 3, 4]
    # the final request sent again after a lost answer is accepted and changes nothing
    assert stream(client, lab["bob"], second).status_code == 200
    assert client.get(base, headers=basic(lab["ada"])).json["state"] == "crashed"


def test_a_file_stream_request_as_large_as_the_sdk_sends_is_stored_whole(client, lab):
    """wandb-core sends whatever accumulated since its last request, limited by bytes, not
    lines: a fast script's 25,000 steps and their console lines arrive in one final
    request with ``complete``. All of it is stored and the run finishes (a 10,000-line cap
    answered 422, and the SDK gave up on the run's history and its finish)."""
    upsert(client, lab["bob"])
    steps, lines = 25_000, 30_000
    final = {
        "files": {
            "wandb-history.jsonl": {"offset": 0, "content": history(0, steps)},
            "output.log": {"offset": 0, "content": [f"step {i}" for i in range(lines)]},
        },
        "complete": True,
        "exitcode": 0,
    }
    assert stream(client, lab["bob"], final).status_code == 200
    base = "/api/v1/teams/lab/projects/p/runs/r1"
    run = client.get(base, headers=basic(lab["ada"])).json
    assert run["history"] == {"rows": steps, "last_step": steps - 1}
    assert run["state"] == "finished"
    tail = client.get(
        base + "/console", headers=basic(lab["ada"]), query_string={"min_line": lines - 2}
    ).json["items"]
    assert tail == [
        {"line": lines - 2, "text": f"step {lines - 2}"},
        {"line": lines - 1, "text": f"step {lines - 1}"},
    ]
    assert stream(client, lab["bob"], final).status_code == 200  # a resend changes nothing
    assert client.get(base, headers=basic(lab["ada"])).json["history"]["rows"] == steps


def test_wide_history_rows_are_stored_whatever_their_bytes_per_batch(client, lab):
    """Rows of a few hundred metrics (per-layer statistics): 1,000 of them exceed the 4 MiB a
    REST history batch may carry, yet the SDK sends them in one request. They are stored as
    one batch, none refused."""
    upsert(client, lab["bob"])
    rows = [
        json.dumps({"_step": i, **{f"layer{k}/grad_norm": i + k / 1000 for k in range(300)}})
        for i in range(1500)
    ]
    assert sum(map(len, rows[:1000])) > 4 * 1024 * 1024
    body = {"files": {"wandb-history.jsonl": {"offset": 0, "content": rows}}}
    response = stream(client, lab["bob"], body)
    assert response.status_code == 200, response.json
    run = client.get("/api/v1/teams/lab/projects/p/runs/r1", headers=basic(lab["ada"])).json
    assert run["history"] == {"rows": 1500, "last_step": 1499}
    assert run["summary"]["layer299/grad_norm"] == 1499.299


def test_file_stream_needs_run_log(client, lab):
    upsert(client, lab["bob"])
    response = stream(client, lab["vic"], {"files": {}})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "permission_denied"


def test_create_run_files_signs_urls_before_the_size_is_known(client, lab, app):
    upsert(client, lab["bob"])
    response = gql(
        client,
        lab["bob"],
        "mutation CreateRunFiles($files: [String!]!) { createRunFiles(input: {entityName: "
        '"lab", projectName: "p", runName: "r1", files: $files}) { runID uploadHeaders '
        "files { name uploadUrl } } }",
        {"files": ["config.yaml", "output.log"]},
    )
    files = response.json["data"]["createRunFiles"]["files"]
    assert [f["name"] for f in files] == ["config.yaml", "output.log"]
    from tests.factories import presigned

    status, _ = presigned(app, "PUT", files[0]["uploadUrl"], data=b"lr: 0.1\n")
    assert status == 200
    stream(client, lab["bob"], {"files": {}, "uploaded": ["config.yaml"]})
    listed = client.get("/api/v1/teams/lab/projects/p/runs/r1/files", headers=basic(lab["ada"]))
    sizes = {f["path"]: f["size"] for f in listed.json["items"]}
    assert sizes == {"config.yaml": 8, "output.log": None}


def test_a_stop_requested_over_rest_shows_in_the_stopped_status_the_sdk_polls(client, lab):
    upsert(client, lab["bob"])
    query = (
        "query RunStoppedStatus($entityName: String, $projectName: String, $runId: String!) {"
        " project(name: $projectName, entityName: $entityName) { run(name: $runId) { stopped } } }"
    )
    variables = {"entityName": "lab", "projectName": "p", "runId": "r1"}
    before = gql(client, lab["bob"], query, variables).json["data"]["project"]["run"]
    assert before == {"stopped": False}
    stop = client.post("/api/v1/teams/lab/projects/p/runs/r1/stop", headers=basic(lab["ada"]))
    assert stop.status_code == 200
    after = gql(client, lab["bob"], query, variables).json["data"]["project"]["run"]
    assert after == {"stopped": True}
    stream(client, lab["bob"], {"files": {}, "complete": True, "exitcode": 0})
    run = client.get("/api/v1/teams/lab/projects/p/runs/r1", headers=basic(lab["ada"])).json
    assert run["state"] == "stopped"


def test_nan_and_infinite_metrics_are_kept_as_strings(client, lab):
    upsert(client, lab["bob"])
    rows = ['{"_step": 0, "loss": NaN, "grad": Infinity, "low": -Infinity}']
    body = {"files": {"wandb-history.jsonl": {"offset": 0, "content": rows}}}
    assert stream(client, lab["bob"], body).status_code == 200
    items = client.get(
        "/api/v1/teams/lab/projects/p/runs/r1/history", headers=basic(lab["ada"])
    ).json["items"]
    assert items == [{"_step": 0, "loss": "NaN", "grad": "Infinity", "low": "-Infinity"}]


def test_history_values_are_stored_exactly_as_sent(client, lab):
    """Integers beyond 64 bits stay exact, a number that overflows a float is kept as
    "Infinity" like W&B's own infinities, and text keeps its characters."""
    upsert(client, lab["bob"])
    rows = [
        '{"_step": 0, "seed": 123456789012345678901234567890, "huge": 1e400}',
        '{"_step": 1, "label": "caf\\u00e9 \\u2713", "ok": true, "none": null}',
        '{"_step": 2, "nested": {"a": [1, 2.5, "NaN"]}, "tiny": 5e-324}',
    ]
    body = {"files": {"wandb-history.jsonl": {"offset": 0, "content": rows}}}
    assert stream(client, lab["bob"], body).status_code == 200
    items = client.get(
        "/api/v1/teams/lab/projects/p/runs/r1/history", headers=basic(lab["ada"])
    ).json["items"]
    assert items == [
        {"_step": 0, "seed": 123456789012345678901234567890, "huge": "Infinity"},
        {"_step": 1, "label": "caf\u00e9 \u2713", "ok": True, "none": None},
        {"_step": 2, "nested": {"a": [1, 2.5, "NaN"]}, "tiny": 5e-324},
    ]


def test_a_console_session_cannot_ride_into_the_protocol(client, lab):
    from tests.factories import login

    assert login(client, "bob").status_code in (302, 303)
    response = client.post("/graphql", json={"query": "{ viewer { username } }"})
    assert response.status_code == 401
    upsert(client, lab["bob"])
    response = client.post("/files/lab/p/r1/file_stream", json={"files": {}})
    assert response.status_code == 401


def test_runs_listing_pages_filters_and_orders(client, lab):
    for run_id in ("a", "b", "c"):
        upsert(client, lab["bob"], run=run_id)
    stream(client, lab["bob"], {"files": {}, "complete": True, "exitcode": 0}, run="b")
    query = (
        "query Runs($cursor: String, $filters: JSONString, $order: String) {"
        ' project(name: "p", entityName: "lab") { internalId runCount'
        " runs(filters: $filters, after: $cursor, first: 2, order: $order) {"
        " edges { node { name state projectId } cursor } pageInfo { endCursor hasNextPage } } } }"
    )
    first = gql(client, lab["ada"], query, {"order": "+created_at"}).json["data"]["project"]
    assert int(first["internalId"]) == first["runs"]["edges"][0]["node"]["projectId"]
    assert first["runCount"] == 3
    assert [e["node"]["name"] for e in first["runs"]["edges"]] == ["a", "b"]
    assert first["runs"]["pageInfo"]["hasNextPage"] is True
    cursor = first["runs"]["pageInfo"]["endCursor"]
    rest = gql(client, lab["ada"], query, {"cursor": cursor}).json["data"]["project"]["runs"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["c"]
    newest = gql(client, lab["ada"], query, {"order": "-created_at"}).json["data"]["project"]
    assert [e["node"]["name"] for e in newest["runs"]["edges"]] == ["c", "b"]
    done = gql(client, lab["ada"], query, {"filters": '{"state": "finished"}'}).json["data"]
    assert [e["node"]["name"] for e in done["project"]["runs"]["edges"]] == ["b"]
