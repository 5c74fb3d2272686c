"""Admin › Users without JavaScript: search, filters, pages, invite (link once), row changes with
their refusals, CSV export; and the invitation page the invitee opens."""

import csv
import io
import re
from datetime import timedelta

from server import clock
from server.extensions import db
from server.models import User
from server.services import system_settings
from tests.console.helpers import html
from tests.factories import add_member, login, make_team, make_user


def _invite(admin, email="ada@example.test", **extra):
    response = admin.post("/admin/users/invite", {"email": email, "seat_type": "full", **extra})
    assert response.status_code == 302, html(response)[-2000:]
    page = html(admin.get(response.headers["Location"]))
    return page, page.split('id="invite-link" readonly value="', 1)[1].split('"', 1)[0]


def test_the_list_shows_state_seat_last_active_and_teams(admin):
    ada = make_user("ada", display_name="Ada Lovelace", password=None)
    add_member(make_team("lab"), ada, "admin")
    page = html(admin.get("/admin/users"))
    row = page.split('data-username="ada"', 1)[1].split("</tr>", 1)[0]
    assert "Ada Lovelace" in row and "ada<wbr>@example.test" in row  # breaks before "@"
    assert "badge-active" in row and "Never" in row
    assert 'lab <span class="muted">admin</span>' in row
    assert "Deactivate" in row and "Make admin" in row
    root_row = page.split('data-username="root"', 1)[1].split("</tr>", 1)[0]
    assert "system admin" in root_row and "Remove admin" in root_row


def test_search_filters_and_pages(admin, monkeypatch):
    from server.console import admin_users

    monkeypatch.setattr(admin_users, "PAGE_SIZE", 2)
    for name in ("anna", "annie", "bob"):
        make_user(name, password=None)
    found = html(admin.get("/admin/users?q=ANN"))
    assert 'data-username="anna"' in found and 'data-username="bob"' not in found
    admins = html(admin.get("/admin/users?system_admin=yes"))
    assert 'data-username="root"' in admins and 'data-username="anna"' not in admins
    first = html(admin.get("/admin/users"))
    assert first.count("data-username=") == 2
    next_link = re.search(r'href="([^"]+)" data-testid="next-page"', first).group(1)
    second = html(admin.get(next_link.replace("&amp;", "&")))
    assert 'data-username="annie"' in second and "First page" in second


def test_invite_shows_the_link_once_and_the_invitee_joins(admin, app):
    page, link = _invite(admin)
    assert "Copy the link now: it is shown only once" in page
    assert "E-mail is not set up" in page
    assert 'reveal-warning" data-testid="invite-result" data-email-sent="no"' in page
    assert link.startswith("http://127.0.0.1:8080/invite/")
    listing = html(admin.get("/admin/users?state=invited"))
    assert link not in listing and 'data-username="ada"' in listing

    invitee = app.test_client()
    path = link.removeprefix("http://127.0.0.1:8080")
    form = html(invitee.get(path))
    assert "You were invited as <strong>ada@example.test</strong>" in form
    assert 'name="username" required type="text" value="ada"' in form
    token = form.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    weak = invitee.post(
        path, data={"csrf_token": token, "username": "ada", "password": "short", "confirm": "short"}
    )
    assert weak.status_code == 422 and "at least 12 characters" in html(weak)
    password = "a long enough password"
    joined = invitee.post(
        path,
        data={
            "csrf_token": token,
            "username": "lovelace",
            "display_name": "Ada L.",
            "password": password,
            "confirm": password,
        },
    )
    assert joined.status_code == 302
    assert "Welcome, Ada L." in html(invitee.get("/"))
    user = db.session.query(User).filter_by(email="ada@example.test").one()
    assert (user.username, user.state) == ("lovelace", "active")
    assert invitee.get(path).status_code == 404  # the link worked once
    assert login(app.test_client(), "lovelace", password).status_code == 302


def test_invitation_e_mail_and_expiry(admin, app, smtp_sink):
    system_settings.update_settings(smtp_sink.settings())
    page, link = _invite(admin, "grace@example.test")
    assert "An e-mail with this link was sent to grace@example.test" in page
    assert link in smtp_sink.messages[0].text()
    app.config["OUTPOST_CLOCK"] = lambda: clock.datetime.now(clock.UTC) + timedelta(days=8)
    expired = app.test_client().get(link.removeprefix("http://127.0.0.1:8080"))
    assert expired.status_code == 404 and "invalid, used or expired" in html(expired)


def test_row_changes_and_their_refusals(admin):
    make_user("ada")
    changed = admin.post(
        "/admin/users/ada/change", {"change": "promote", "next": "/admin/users?q=ada"}
    )
    assert changed.status_code == 302 and changed.headers["Location"] == "/admin/users?q=ada"
    assert "ada is now a system admin." in html(admin.get("/admin/users"))
    admin.post("/admin/users/ada/change", {"change": "deactivate"})
    page = html(admin.get("/admin/users"))
    assert "ada is deactivated" in page
    assert "Reactivate" in page.split('data-username="ada"', 1)[1].split("</tr>", 1)[0]
    admin.post("/admin/users/root/change", {"change": "demote"})
    refused = html(admin.get("/admin/users"))
    assert "root: root is the last active system admin" in refused
    admin.post("/admin/users/root/change", {"change": "seat", "seat_type": "viewer"})
    assert "needs an enterprise license with the &#39;view_only&#39; feature" in html(
        admin.get("/admin/users")
    )
    offsite = admin.post("/admin/users/root/change", {"change": "seat", "next": "//evil.test/"})
    assert offsite.headers["Location"] == "/admin/users"


def test_cancel_an_invitation_and_send_a_new_link(admin):
    _, first = _invite(admin)
    admin.post("/admin/users/ada/change", {"change": "deactivate"})
    row = html(admin.get("/admin/users")).split('data-username="ada"', 1)[1].split("</tr>")[0]
    assert "badge-deactivated" in row and "New invite link" in row
    response = admin.post("/admin/users/ada/invitation")
    assert response.status_code == 302
    response = admin.get(response.headers["Location"])
    link = html(response).split('id="invite-link" readonly value="', 1)[1].split('"', 1)[0]
    assert link != first
    assert db.session.query(User).filter_by(username="ada").one().state == "invited"


def test_csv_export_from_the_console(admin):
    make_user("ada", password=None)
    page = html(admin.get("/admin/users?q=ada"))
    assert 'href="/admin/users/export.csv?q=ada"' in page
    response = admin.get("/admin/users/export.csv?q=ada")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(html(response))))
    assert [r["username"] for r in rows] == ["ada"]


def test_invite_refusals_are_shown(admin):
    response = admin.post("/admin/users/invite", {"email": "root@example.test"})
    assert response.status_code == 409
    assert "A user with the e-mail root@example.test already exists." in html(response)
    assert 'value="root@example.test"' in html(response)  # the form keeps what was typed
