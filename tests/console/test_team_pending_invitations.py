"""The members page's "Pending invitations" section: team admins see the invitations sent to
e-mails without an account, resend and revoke them (CSRF-protected posts); members and view-only
members neither see them nor may post, outsiders do not learn the team exists. The last test
drives the page in headless Chromium."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server import clock
from server.extensions import db
from server.models import Team, TeamInvitation, User
from server.services import invitations
from tests.console.helpers import html, signed_in
from tests.factories import PASSWORD, count_queries, make_team, make_user
from tests.fixtures.browser import sign_in


@pytest.fixture
def lab():
    ada = make_user("ada", display_name="Ada Admin")
    bob, vic = make_user("bob"), make_user("vic")
    make_team("lab", admins=[ada], members=[bob], viewers=[vic])
    make_user("outsider")
    return ada


def send(team_admin, email, role="member") -> str:
    """Invite ``email`` to lab as ``team_admin``; returns the link's path."""
    team = db.session.scalar(select(Team).where(Team.slug == "lab"))
    result = invitations.invite(
        team, email=email, username=None, role_name=role, invited_by=team_admin
    )
    return "/invitations/" + result.link.rsplit("/", 1)[1]


def person(username) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def open_count() -> int:
    return db.session.scalar(
        select(func.count(TeamInvitation.id)).where(TeamInvitation.accepted_at.is_(None))
    )


def invitation_id(email) -> int:
    return db.session.scalar(select(TeamInvitation.id).where(TeamInvitation.email == email))


def test_admin_sees_pending_invitations_but_not_accepted_ones(app, client, lab):
    send(lab, "old@example.test", role="admin")
    used = send(lab, "joined@example.test")
    joiner = make_user("joiner", email="joined@example.test", password=None)
    assert signed_in(app.test_client(), joiner).post(used).status_code == 302
    later = clock.now() + timedelta(days=app.config["OUTPOST"].invitation_days, seconds=1)
    app.config["OUTPOST_CLOCK"] = lambda: later
    send(lab, "new@example.test")
    page = html(signed_in(client, lab).get("/teams/lab/members"))
    assert 'data-testid="pending-invitations"' in page
    rows = dict(re.findall(r'<tr data-invitation="([^"]+)">(.*?)</tr>', page, re.S))
    assert set(rows) == {"old@example.test", "new@example.test"}
    assert "admin" in rows["old@example.test"] and "ada" in rows["old@example.test"]
    assert 'data-testid="expired"' in rows["old@example.test"]
    assert 'data-testid="expired"' not in rows["new@example.test"]
    expires = db.session.scalar(
        select(TeamInvitation.expires_at).where(TeamInvitation.email == "new@example.test")
    )
    assert f"{expires:%Y-%m-%d %H:%M} UTC" in rows["new@example.test"]


def test_revoke_stops_the_link_at_once(client, lab):
    link = send(lab, "gone@example.test")
    console = signed_in(client, lab)
    response = console.post(f"/teams/lab/invitations/{invitation_id('gone@example.test')}/revoke")
    assert response.status_code == 302
    page = html(console.get("/teams/lab/members"))
    assert "The invitation to gone@example.test was revoked" in page
    assert 'data-invitation="gone@example.test"' not in page
    assert 'data-testid="pending-invitations"' not in page
    assert client.get(link).status_code == 404
    again = console.post("/teams/lab/invitations/1/revoke")
    assert again.status_code == 302
    assert "has no open invitation 1" in html(console.get("/teams/lab/members"))


def test_revoke_and_resend_need_the_csrf_token(client, lab):
    send(lab, "kept@example.test")
    signed_in(client, lab)
    number = invitation_id("kept@example.test")
    for action in ("revoke", "resend"):
        response = client.post(f"/teams/lab/invitations/{number}/{action}")
        assert response.status_code == 400 and "csrf" in html(response).lower()
    assert open_count() == 1


def test_resend_shows_a_new_link_and_the_old_one_stops_working(client, lab):
    old = send(lab, "again@example.test")
    console = signed_in(client, lab)
    response = console.post(f"/teams/lab/invitations/{invitation_id('again@example.test')}/resend")
    assert response.status_code == 302
    page = html(console.get(response.headers["Location"]))
    assert 'data-testid="invite-link"' in page
    assert "A new link for again@example.test" in page and "pass the link on" in page
    new = re.search(r'value="http://[^"]+(/invitations/[\w-]+)"', page).group(1)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_members_and_view_only_do_not_see_or_touch_invitations(app, lab):
    send(lab, "secret@example.test")
    number = invitation_id("secret@example.test")
    for username in ("bob", "vic"):
        console = signed_in(app.test_client(), person(username))
        page = html(console.get("/teams/lab/members"))
        assert "Pending invitations" not in page and "secret@example.test" not in page
        for action in ("revoke", "resend"):
            response = console.post(f"/teams/lab/invitations/{number}/{action}")
            assert response.status_code == 403, (username, action)
            assert "You cannot open this" in html(response)
    outsider = signed_in(app.test_client(), person("outsider"))
    assert outsider.post(f"/teams/lab/invitations/{number}/revoke").status_code == 404
    assert open_count() == 1


def test_an_email_with_markup_is_shown_escaped(client, lab):
    send(lab, "o'neil\"<b>x</b>@example.test")
    page = html(signed_in(client, lab).get("/teams/lab/members"))
    assert "<b>x</b>" not in page
    assert "o&#39;neil&#34;&lt;b&gt;x&lt;/b&gt;@example.test" in page


def test_invitations_are_paginated_and_cost_the_same_queries_for_few_or_many(client, lab):
    console = signed_in(client, lab)
    send(lab, "first@example.test")
    with count_queries() as few:
        assert console.get("/teams/lab/members").status_code == 200
    for n in range(54):
        send(lab, f"p{n:02d}@example.test", role="admin" if n % 2 else "member")
    with count_queries() as many:
        page = html(console.get("/teams/lab/members"))
    assert len(many) == len(few), (len(few), len(many))
    assert page.count("data-invitation=") == 50
    cursor = re.search(r'href="\?invitations_cursor=([^"]+)"', page).group(1)
    second = html(console.get(f"/teams/lab/members?invitations_cursor={cursor}"))
    assert second.count("data-invitation=") == 5 and "More invitations" not in second


@pytest.mark.browser
def test_team_admin_invites_sees_the_invitation_pending_and_revokes_it(page, lab):
    sign_in(page, "ada", PASSWORD)
    page.goto("/teams/lab/members")
    assert page.locator("[data-testid=pending-invitations]").count() == 0
    page.fill("[data-testid=invite-form] input[name=email]", "newcomer@example.test")
    page.select_option("[data-testid=invite-form] select[name=role]", "member")
    page.click("[data-testid=invite-form] button[type=submit]")
    page.wait_for_selector("[data-testid=invite-link]")
    page.goto("/teams/lab/members")
    row = page.locator("tr[data-invitation='newcomer@example.test']")
    assert row.is_visible()
    assert "member" in row.inner_text() and "ada" in row.inner_text()
    messages = []

    def answer(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    row.locator("button:has-text('Revoke')").click()
    page.wait_for_selector("text=The invitation to newcomer@example.test was revoked")
    assert messages and "newcomer@example.test" in messages[0]
    assert page.locator("tr[data-invitation='newcomer@example.test']").count() == 0
    assert page.locator("[data-testid=pending-invitations]").count() == 0
    assert open_count() == 0
