"""Sessions end on the server (issue 12 #9): a session cookie copied before sign-out, a password
change, a deactivation or "sign out everywhere" no longer opens anything. Each test signs in
over real HTTP against a live server and replays the copied cookie from another client."""

import pytest
import requests

from server.extensions import db
from server.models import AuditEvent, ConsoleSession
from server.services import users as user_service
from tests.factories import PASSWORD, csrf_token, make_user

NEW_PASSWORD = "a brand new passphrase 42"


class Browser:
    """A client with its own cookie jar, signing in through the real form."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def sign_in(self, login: str, password: str = PASSWORD) -> "Browser":
        response = self.post("/login", "/login", {"login": login, "password": password})
        assert response.status_code == 302, response.text
        return self

    def get(self, path: str):
        return self.http.get(self.base + path, allow_redirects=False, timeout=10)

    def post(self, page: str, path: str, data: dict):
        token = csrf_token(self.http.get(self.base + page, timeout=10).text)
        return self.http.post(
            self.base + path, data={"csrf_token": token, **data}, allow_redirects=False, timeout=10
        )

    @property
    def cookie(self) -> str:
        return self.http.cookies["outpost_session"]

    def opens(self, path: str = "/settings/profile") -> bool:
        response = self.get(path)
        assert response.status_code in (200, 302)
        return response.status_code == 200


def replay(base: str, cookie: str) -> Browser:
    """Another client presenting a copied session cookie."""
    thief = Browser(base)
    thief.http.cookies.set("outpost_session", cookie)
    return thief


@pytest.fixture
def ada():
    return make_user("ada")


def test_sign_out_ends_a_copied_cookie(live_server, ada):
    browser = Browser(live_server).sign_in("ada")
    copied = browser.cookie
    assert replay(live_server, copied).opens()
    browser.post("/", "/logout", {})
    assert not browser.opens()
    assert not replay(live_server, copied).opens()


def test_sign_out_ends_only_that_browsers_session(live_server, ada):
    laptop = Browser(live_server).sign_in("ada")
    phone = Browser(live_server).sign_in("ada")
    laptop.post("/", "/logout", {})
    assert phone.opens()


def test_password_change_ends_every_other_session(live_server, ada):
    laptop = Browser(live_server).sign_in("ada")
    phone = Browser(live_server).sign_in("ada")
    copied = laptop.cookie
    response = laptop.post(
        "/settings/security",
        "/settings/security/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert laptop.opens()  # the browser that changed it stays signed in
    assert not phone.opens()
    assert not replay(live_server, copied).opens()
    assert Browser(live_server).sign_in("ada", NEW_PASSWORD).opens()


def test_wrong_current_password_changes_nothing(live_server, ada):
    laptop = Browser(live_server).sign_in("ada")
    phone = Browser(live_server).sign_in("ada")
    response = laptop.post(
        "/settings/security",
        "/settings/security/password",
        {"current": "not my password!", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert "current password is not right" in response.text
    assert laptop.opens() and phone.opens()
    failure = db.session.query(AuditEvent).filter_by(action="user:password_change").one()
    assert failure.result == "failure"


def test_deactivation_ends_a_copied_cookie(live_server, ada):
    make_user("root", system_admin=True)
    copied = Browser(live_server).sign_in("ada").cookie
    admin = Browser(live_server).sign_in("root")
    response = admin.post("/admin/users", "/admin/users/ada/change", {"change": "deactivate"})
    assert response.status_code == 302
    assert not replay(live_server, copied).opens()
    user_service.reactivate(db.session.merge(ada))
    assert not replay(live_server, copied).opens()  # reactivation does not revive it


def test_admin_signs_a_user_out_everywhere(live_server, ada):
    make_user("root", system_admin=True)
    laptop = Browser(live_server).sign_in("ada")
    phone = Browser(live_server).sign_in("ada")
    admin = Browser(live_server).sign_in("root")
    response = admin.post(
        "/admin/users", "/admin/users/ada/sign-out", {"change": "sign-out", "next": "/admin/users"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    assert not laptop.opens() and not phone.opens()
    assert admin.opens("/admin/users")
    event = db.session.query(AuditEvent).filter_by(action="user:sign_out_everywhere").one()
    assert event.target_name == "ada" and event.details["sessions_ended"] == 2
    assert Browser(live_server).sign_in("ada").opens()  # the user may sign in again


def test_members_cannot_sign_others_out(live_server, ada):
    make_user("bob")
    victim = Browser(live_server).sign_in("bob")
    response = (
        Browser(live_server)
        .sign_in("ada")
        .post("/", "/admin/users/bob/sign-out", {"change": "sign-out"})
    )
    assert response.status_code == 403
    assert victim.opens()


def test_sign_out_everywhere_else_keeps_this_browser(live_server, ada):
    laptop = Browser(live_server).sign_in("ada")
    phone = Browser(live_server).sign_in("ada")
    copied = phone.cookie
    response = laptop.post("/settings/security", "/settings/security/sign-out-others", {})
    assert response.status_code == 302
    assert laptop.opens()
    assert not phone.opens() and not replay(live_server, copied).opens()


def test_a_cookie_naming_no_server_session_is_refused(client, ada):
    """A cookie signed with the right key but naming no server-side session (as every cookie
    issued before this change does) opens nothing."""
    with client.session_transaction() as session:
        session["_user_id"] = ada.get_id()
        session["_fresh"] = True
    assert client.get("/settings/profile").status_code == 302


def test_sign_in_keeps_one_row_per_session_and_drops_old_ones(live_server, ada):
    from datetime import timedelta

    from server.models.base import utcnow
    from server.services.console_sessions import SESSION_MAX_AGE

    first = Browser(live_server).sign_in("ada")
    row = db.session.query(ConsoleSession).filter_by(user_id=ada.id).one()
    row.created_at = utcnow() - SESSION_MAX_AGE - timedelta(minutes=1)
    old_hash = row.token_hash
    db.session.commit()
    assert not first.opens()  # past the maximum age
    Browser(live_server).sign_in("ada")
    rows = db.session.query(ConsoleSession).filter_by(user_id=ada.id).all()
    assert len(rows) == 1 and rows[0].token_hash != old_hash


def test_the_api_signs_a_user_out_everywhere(live_server, ada):
    from tests.factories import make_key

    admin_key = make_key(make_user("root", system_admin=True))
    member_key = make_key(make_user("bob"))
    laptop = Browser(live_server).sign_in("ada")
    url = f"{live_server}/api/v1/users/ada/sessions"
    refused = requests.delete(url, headers={"Authorization": f"Bearer {member_key}"}, timeout=10)
    assert refused.status_code == 403 and laptop.opens()
    done = requests.delete(url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=10)
    assert done.status_code == 200 and done.json() == {"sessions_ended": 1}
    assert not laptop.opens()
    spec = requests.get(f"{live_server}/api/v1/openapi.json", timeout=10).json()
    assert "delete" in spec["paths"]["/api/v1/users/{username}/sessions"]
