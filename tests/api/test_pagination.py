"""Cursor pagination refuses cursors it did not make, whatever they decode to."""

import base64
import json

import pytest

from tests.factories import bearer, make_key, make_run, make_team, make_user


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/api/v1/teams", "/api/v1/users", "/api/v1/viewer/api-keys"])
def test_a_cursor_of_the_wrong_kind_is_invalid(client, path):
    key = make_key(make_user(system_admin=True, password=None))
    for value in [{"a": 1}, [1, 2], None, True, "abc", 1.5, 10**30, 2**31, -(2**40)]:
        response = client.get(f"{path}?cursor={_cursor(value)}", headers=bearer(key))
        assert response.status_code == 422, (value, response.json)
        assert response.json["error"]["code"] == "invalid_cursor"


def test_a_big_step_cursor_is_fine_for_history_until_it_overflows(client):
    from server.services import projects as project_service

    user = make_user(password=None)
    team = make_team("lab", admins=[user])
    make_run(project_service.create_project(user, team, "p"), user, "r1")
    url = "/api/v1/teams/lab/projects/p/runs/r1/history"
    fine = client.get(f"{url}?cursor={_cursor(2**40)}", headers=bearer(make_key(user)))
    assert fine.status_code == 200 and fine.json["items"] == []
    too_big = client.get(f"{url}?cursor={_cursor(2**63)}", headers=bearer(make_key(user)))
    assert too_big.status_code == 422
    assert too_big.json["error"]["code"] == "invalid_cursor"
