"""Console sign-in: CSRF, failures audited, rate limit, sign-out, deactivation, setup link."""

from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, User
from server.services import setup as setup_service
from server.services import users as user_service
from tests.factories import PASSWORD, csrf_token, login, make_user


def test_sign_in_and_out(client):
    make_user("ada")
    response = login(client, "ada")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200 and "Welcome" in home.get_data(as_text=True)
    token = csrf_token(home.get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/").status_code == 302


def test_sign_in_by_email_and_session_cookie_flags(client):
    make_user("bob")
    response = login(client, "bob@example.test")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_form_without_csrf_token_is_refused(client):
    make_user("eve")
    response = client.post("/login", data={"login": "eve", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still signed out


def test_wrong_password_is_refused_and_audited(client):
    make_user("carol")
    response = login(client, "carol", "wrong password!!")
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user:login", AuditEvent.result == "failure")
    )
    assert event.actor_name == "carol" and event.actor_ip == "127.0.0.1"


def test_sign_in_is_rate_limited(make_app):
    app = make_app(login_rate_limit="3 per minute")
    with app.app_context():
        make_user("dave")
    client = app.test_client()
    statuses = [login(client, "dave", "wrong password!!").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_deactivation_ends_sessions_at_once(client):
    user = make_user("frank")
    login(client, "frank")
    assert client.get("/").status_code == 200
    user_service.deactivate(user)
    assert client.get("/").status_code == 302
    assert login(client, "frank").status_code == 401


def test_unauthenticated_page_redirects_to_login_with_next(client):
    response = client.get("/settings/api-keys")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/settings/api-keys")


def test_next_never_leaves_the_site(client):
    make_user("gina")
    page = client.get("/login?next=https://evil.example/")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/",
        data={"login": "gina", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_setup_link_creates_the_first_admin_once(client):
    token = setup_service.issue_setup_token()
    page = client.get(f"/setup/{token}")
    assert page.status_code == 200
    response = client.post(
        f"/setup/{token}",
        data={
            "username": "root",
            "email": "root@example.test",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    admin = db.session.scalar(select(User).where(User.username == "root"))
    assert admin.system_admin and admin.state == "active"
    assert client.get("/").status_code == 200
    again = client.get(f"/setup/{token}")
    assert again.status_code == 404
    assert setup_service.issue_setup_token() is None


def test_wrong_setup_token_is_404(client):
    setup_service.issue_setup_token()
    assert client.get("/setup/not-the-token").status_code == 404
