"""Settings › Profile › Connect GitHub, through a local OAuth 2.0 server standing in for GitHub
(Enterprise-style endpoints from the settings): connect, public profile, disconnect, refusals."""

import pytest
import requests
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, GithubConnection
from tests.console.helpers import html, signed_in
from tests.factories import make_user
from tests.sso_support import query, with_query


@pytest.fixture
def github_console(make_app, fake_github):
    app = make_app(**fake_github.settings())
    with app.app_context():
        yield signed_in(app.test_client(), make_user("ada", password=None))


def _to_github(console) -> str:
    response = console.post("/settings/profile/github/connect")
    assert response.status_code == 302
    return response.headers["Location"]


def _back(console, authorize_url: str, **changes):
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    callback = answer.headers["Location"]
    if changes:
        callback = with_query(callback, **changes)
    path = callback.split("://", 1)[1].split("/", 1)[1]
    return console.get("/" + path)


def test_connect_show_and_disconnect(github_console, fake_github):
    assert "Connect GitHub" in html(github_console.get("/settings/profile"))
    authorize_url = _to_github(github_console)
    assert authorize_url.startswith(f"{fake_github.base}/login/oauth/authorize?")
    assert query(authorize_url)["scope"] == "read:user"
    assert query(authorize_url)["redirect_uri"].endswith("/settings/profile/github/callback")
    response = _back(github_console, authorize_url)
    assert response.status_code == 302
    page = html(github_console.get("/settings/profile"))
    assert "Connected as" in page and "octo-ada" in page
    assert f"{fake_github.base}/octo-ada" in page  # GitHub Enterprise's web address
    connection = db.session.scalar(select(GithubConnection))
    assert connection.github_login == "octo-ada" and connection.github_id == 4242
    assert "gho_" not in connection.token_sealed  # sealed at rest
    viewer = signed_in(
        github_console.client.application.test_client(), make_user("bob", password=None)
    )
    assert 'data-testid="github-login"' in html(viewer.get("/users/ada"))

    github_console.post("/settings/profile/github/disconnect")
    assert db.session.scalar(select(GithubConnection)) is None
    assert "octo-ada" not in html(viewer.get("/users/ada"))
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.action.like("github:%"))
        .order_by(AuditEvent.id)  # without an order PostgreSQL may return either first
    ).all()
    assert actions == ["github:connect", "github:disconnect"]


def test_denied_authorization_is_a_clear_page(github_console, fake_github):
    fake_github.deny = True
    response = _back(github_console, _to_github(github_console))
    assert response.status_code == 400
    assert "did not allow Outpost" in html(response)
    assert db.session.scalar(select(GithubConnection)) is None


def test_bad_state_is_a_clear_page(github_console):
    response = _back(github_console, _to_github(github_console), state="forged")
    assert response.status_code == 400
    assert "not valid any more" in html(response)
    assert db.session.scalar(select(GithubConnection)) is None


def test_no_button_when_github_is_not_set_up(make_app):
    app = make_app()
    with app.app_context():
        console = signed_in(app.test_client(), make_user("cy", password=None))
        assert "Connect GitHub" not in html(console.get("/settings/profile"))
        response = console.post("/settings/profile/github/connect")
        assert response.status_code == 400 and "not set up" in html(response)
