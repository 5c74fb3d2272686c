"""Who reaches the admin console (system admins only, every page and form), and the public
sign-up page that the ``signup_mode`` setting opens or closes."""

import pytest

from server.extensions import db
from server.models import AuditEvent, User
from server.services import licensing, system_settings
from tests.console.helpers import html
from tests.factories import csrf_token, make_team

ADMIN_URLS = [
    ("get", "/admin/settings"),
    ("post", "/admin/settings"),
    ("post", "/admin/settings/test-email"),
    ("get", "/admin/users"),
    ("post", "/admin/users/invite"),
    ("post", "/admin/users/root/change"),
    ("post", "/admin/users/root/invitation"),
    ("get", "/admin/users/export.csv"),
    ("get", "/admin/teams"),
    ("post", "/admin/teams"),
    ("get", "/admin/teams/lab/delete"),
    ("post", "/admin/teams/lab/delete"),
    ("post", "/admin/teams/lab/restore"),
    ("get", "/admin/roles"),
    ("post", "/admin/roles"),
    ("get", "/admin/roles/auditor"),
    ("post", "/admin/roles/auditor"),
    ("post", "/admin/roles/auditor/delete"),
    ("get", "/admin/license"),
    ("post", "/admin/license"),
    ("post", "/admin/license/remove"),
]


def test_a_member_gets_403_on_every_admin_page(admin, member_console, issue_license):
    licensing.install_license(issue_license())
    from server.services import roles

    roles.create_role("auditor", "member", [])
    make_team("lab")
    for method, url in ADMIN_URLS:
        response = getattr(member_console, method)(url)
        assert response.status_code == 403, (method, url)
        assert "Only system admins can do this." in html(response)
    # ...and nothing happened on their behalf
    assert not db.session.query(AuditEvent).filter(AuditEvent.actor_name == "member").count()
    assert "Admin</a>" not in html(member_console.get("/"))
    assert "Admin</a>" in html(admin.get("/"))


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/users")


def test_sign_up_is_refused_while_invite_only(client):
    response = client.get("/signup")
    assert response.status_code == 403
    page = html(response)
    assert "Sign-up is by invitation only on this instance." in page
    assert "Create an account" not in html(client.get("/login"))


def test_open_sign_up_creates_an_active_account(client):
    system_settings.update_settings({"signup_mode": "open"})
    assert 'href="/signup">Create an account' in html(client.get("/login"))
    form = html(client.get("/signup"))
    password = "a long enough password"
    fields = {
        "csrf_token": csrf_token(form),
        "username": "newcomer",
        "email": "new@example.test",
        "display_name": "New Comer",
        "password": password,
        "confirm": password,
    }
    response = client.post("/signup", data=fields)
    assert response.status_code == 302
    assert "Welcome, New Comer" in html(client.get("/"))
    user = db.session.query(User).filter_by(username="newcomer").one()
    assert (user.state, user.system_admin, user.seat_type) == ("active", False, "full")
    assert db.session.query(AuditEvent).filter_by(action="user:signup").count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"username": "Bad Name"}, "Usernames are 1-64 lowercase letters"),
        ({"password": "short", "confirm": "short"}, "at least 12 characters"),
        ({"confirm": "something else entirely"}, "Passwords differ."),
    ],
)
def test_sign_up_errors_are_shown(client, change, message):
    system_settings.update_settings({"signup_mode": "open"})
    password = "a long enough password"
    fields = {
        "csrf_token": csrf_token(html(client.get("/signup"))),
        "username": "newcomer",
        "email": "new@example.test",
        "password": password,
        "confirm": password,
        **change,
    }
    response = client.post("/signup", data=fields)
    assert response.status_code in (409, 422)
    assert message in html(response)
    assert db.session.query(User).filter_by(email="new@example.test").count() == 0
