"""Forgot password: an e-mailed one-time link when SMTP is set, otherwise "ask an admin"; a
system admin's reset link, e-mailed or shown once to pass on."""

import re

from server.services import system_settings
from tests.console.helpers import html
from tests.factories import csrf_token, login, make_user

NEW = "a brand new long password"


def _post(client, path, **fields):
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def _choose(client, path):
    return _post(client, path, password=NEW, confirm=NEW)


def test_without_email_the_page_says_to_ask_an_admin(client):
    assert 'href="/forgot-password"' in html(client.get("/login"))
    page = html(client.get("/forgot-password"))
    assert 'data-testid="ask-an-admin"' in page and "<form" not in page.split("<main", 1)[1]


def test_forgot_password_emails_a_link_that_works_once(client, app, smtp_sink):
    system_settings.update_settings(smtp_sink.settings())
    make_user("ada")
    sent = _post(client, "/forgot-password", login="ada@example.test")
    assert sent.status_code == 302
    unknown = _post(client, "/forgot-password", login="nobody@example.test")
    assert unknown.status_code == 302  # the same answer: nothing tells who has an account
    assert len(smtp_sink.messages) == 1
    path = re.search(r"http://[^/\s]+(/reset-password/\S+)", smtp_sink.messages[0].text()).group(1)
    other = app.test_client()
    assert login(other, "ada").status_code == 302
    assert _choose(client, path).status_code == 302
    assert login(app.test_client(), "ada", NEW).status_code == 302
    assert other.get("/").status_code == 302  # the other session ended
    assert client.get(path).status_code == 404  # used: the link works once


def test_an_admin_passes_a_reset_link_on_when_email_is_not_set(admin, app):
    make_user("ada")
    sent = admin.post("/admin/users/ada/password-reset")
    assert sent.status_code == 302 and sent.headers["Location"] == "/admin/users/ada"
    page = html(admin.get("/admin/users/ada"))
    link = page.split('id="reset-link" readonly value="', 1)[1].split('"', 1)[0]
    assert "E-mail is not set up" in page
    assert link not in html(admin.get("/admin/users/ada"))  # shown once
    invitee = app.test_client()
    assert _choose(invitee, link.split("8080", 1)[1]).status_code == 302
    assert login(app.test_client(), "ada", NEW).status_code == 302


def test_a_tampered_or_weak_reset_is_refused(client, admin):
    make_user("ada")
    admin.post("/admin/users/ada/password-reset")
    page = html(admin.get("/admin/users/ada"))
    path = page.split('id="reset-link" readonly value="', 1)[1].split('"', 1)[0].split("8080")[1]
    assert client.get(path + "x").status_code == 404
    weak = _post(client, path, password="short", confirm="short")
    assert weak.status_code == 422 and "at least" in html(weak)
