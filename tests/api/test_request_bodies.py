"""JSON request bodies: what the JSON parser accepts but no database can store is refused
with a clear error naming the field, on SQLite and PostgreSQL alike."""

import pytest

from server.services import projects as project_service
from tests.factories import bearer, make_key, make_run, make_team, make_user

P = "/api/v1/teams/lab/projects/mnist"


@pytest.fixture
def key():
    user = make_user(password=None)
    team = make_team("lab", admins=[user])
    make_run(project_service.create_project(user, team, "mnist"), user, "r1")
    return make_key(user)


def _send(client, key, method, url, raw):
    return client.open(
        url, method=method, data=raw, content_type="application/json", headers=bearer(key)
    )


@pytest.mark.parametrize(
    ("url", "raw", "field"),
    [
        (f"{P}/runs/r1/history", '{"rows": [{"_step": 0, "loss": NaN}]}', "rows.0.loss"),
        (f"{P}/runs", '{"name": "n", "config": {"lr": Infinity}}', "config.lr"),
        (f"{P}/runs", '{"name": "n", "config": {"lr": 1e999}}', "config.lr"),
        (f"{P}/runs", '{"name": "n", "config": {"lr": [-Infinity]}}', "config.lr.0"),
    ],
)
def test_nan_and_infinity_are_refused(client, key, url, raw, field):
    response = _send(client, key, "POST", url, raw)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.json["error"]
    assert error["code"] == "invalid_number"
    assert error["errors"][0]["field"] == field
    runs = client.get(f"{P}/runs", headers=bearer(key)).json["items"]
    assert [run["run_id"] for run in runs] == ["r1"]  # nothing half-written


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"name": "a\\u0000b"}', "name"),
        ('{"name": "n", "config": {"a\\u0000": 1}}', "config"),
        ('{"name": "n", "tags": ["ok", "x\\u0000"]}', "tags.1"),
    ],
)
def test_nul_characters_are_refused(client, key, raw, field):
    response = _send(client, key, "POST", f"{P}/runs", raw)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.json["error"]["code"] == "invalid_characters"
    assert response.json["error"]["errors"][0]["field"] == field


def test_a_json_null_body_is_a_validation_error_not_malformed_json(client, key):
    response = _send(client, key, "POST", f"{P}/runs", "null")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"


def test_json_nested_too_deeply_is_malformed(client, key):
    response = _send(client, key, "POST", f"{P}/runs", "[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("PATCH", f"{P}/runs/r1", {"state": "crashed", "exit_code": True}, "exit_code"),
        ("PATCH", f"{P}/runs/r1", {"state": "crashed", "exit_code": "1"}, "exit_code"),
        ("PATCH", f"{P}/runs/r1", {"state": "crashed", "exit_code": 1.0}, "exit_code"),
        ("POST", f"{P}/runs/r1/stop", {"force": 1}, "force"),
        ("POST", f"{P}/runs/r1/stop", {"force": "true"}, "force"),
        ("POST", f"{P}/runs/r1/files", {"path": "a.txt", "size": "10"}, "size"),
        ("POST", f"{P}/runs", {"name": 5}, "name"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_refused_not_coerced(
    client, key, method, url, body, field
):
    response = client.open(url, method=method, json=body, headers=bearer(key))
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_failed"
    assert [e["field"] for e in response.json["error"]["errors"]] == [field]
    run = client.get(f"{P}/runs/r1", headers=bearer(key)).json
    assert run["state"] == "running" and not run["stop_requested"]  # nothing was changed
