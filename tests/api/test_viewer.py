"""``GET /api/v1/viewer`` and how API keys authenticate it."""

import base64

from tests.factories import bearer, make_key, make_user


def test_bearer_key_authenticates_viewer(client):
    user = make_user("ada", display_name="Ada L.")
    response = client.get("/api/v1/viewer", headers=bearer(make_key(user)))
    assert response.status_code == 200
    assert response.json["username"] == "ada"
    assert response.json["display_name"] == "Ada L."
    assert "password_hash" not in response.json


def test_basic_auth_with_key_as_password_and_any_username(client):
    key = make_key(make_user("grace"))
    token = base64.b64encode(f"api:{key}".encode()).decode()
    response = client.get("/api/v1/viewer", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200
    assert response.json["username"] == "grace"


def test_missing_credentials_is_401_in_the_error_shape(client):
    response = client.get("/api/v1/viewer")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_key_is_401(client):
    key = make_key(make_user())
    tampered = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    for bad in (tampered, "op_nonexistent0_secret", "garbage"):
        response = client.get("/api/v1/viewer", headers=bearer(bad))
        assert response.status_code == 401
        assert response.json["error"]["code"] == "invalid_api_key"


def test_session_cookie_does_not_authenticate_the_api(client):
    from tests.factories import login

    make_user("cookie")
    assert login(client, "cookie").status_code == 302
    response = client.get("/api/v1/viewer")
    assert response.status_code == 401


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_wrong_method_is_json_405(client):
    response = client.put("/api/v1/viewer")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"


def test_viewer_names_the_default_team_a_client_logs_to(client, app):
    """A client that names no team asks the viewer where to log: the chosen default while the
    user is a member, else their only team, else none; answered in the key lookup's query."""
    from tests.factories import add_member, count_queries, make_team

    ada = make_user("ada")
    key = make_key(ada)
    assert client.get("/api/v1/viewer", headers=bearer(key)).json["default_team"] is None
    vision = make_team("vision")
    add_member(vision, ada, "member")
    assert client.get("/api/v1/viewer", headers=bearer(key)).json["default_team"] == "vision"
    add_member(make_team("nlp"), ada, "member")
    for team in ("apple", "zeta"):
        add_member(make_team(team), ada, "member")
    assert client.get("/api/v1/viewer", headers=bearer(key)).json["default_team"] is None
    assert (
        client.patch(
            "/api/v1/viewer/profile", json={"default_team": "nlp"}, headers=bearer(key)
        ).json["default_team"]
        == "nlp"
    )
    client.get("/api/v1/viewer", headers=bearer(key))  # the key's last-used write happens here
    with app.app_context(), count_queries() as seen:
        body = client.get("/api/v1/viewer", headers=bearer(key)).json
    assert body["default_team"] == "nlp"
    assert len(seen) == 1, seen


def test_api_answers_set_no_cookie_and_do_not_vary_on_cookies(client):
    """An API key's answer is the same whatever cookies come with it: no session or remember
    cookie is set or cleared, and caches are not told it varies by cookie."""
    key = make_key(make_user("ada"))
    client.set_cookie("remember_token", "stale")
    response = client.get("/api/v1/viewer", headers=bearer(key))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "cookie" not in response.headers.get("Vary", "").lower()
