"""A NUL character anywhere in a path, query string or form is a clear 400 on every backend
(PostgreSQL cannot store or compare text holding one)."""

import pytest

from tests.factories import bearer, csrf_token, make_key, make_team, make_user


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/teams/ac%00me",
        "/api/v1/users?q=a%00b",
        "/api/v1/users/export.csv?q=%00",
        "/api/v1/system/audit-log?actor=a%00b",
        "/api/v1/teams?a%00=1",
    ],
)
def test_nul_in_api_path_or_query_is_refused(client, url):
    key = make_key(make_user(system_admin=True, password=None))
    make_team("acme")
    response = client.get(url, headers=bearer(key))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"]["code"] == "invalid_characters"


def test_nul_in_a_console_form_is_refused(client):
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "login": "root\x00",
            "password": "whatever",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
