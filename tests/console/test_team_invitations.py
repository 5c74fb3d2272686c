"""The team invitation link a team admin hands out (``/invitations/<token>``) works for the
person it was sent to: with no account they create one and join, signed in they join with
one click, signed out with an account they are sent to sign in."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Membership, User
from tests.console.helpers import signed_in
from tests.factories import bearer, csrf_token, make_key, make_team, make_user


@pytest.fixture
def invite(client):
    """Team admin ``ada`` invites an e-mail to ``lab``; returns (link path, e-mail)."""

    def send(email="new@example.test", role="member"):
        ada = make_user("ada", password=None)
        make_team("lab", admins=[ada])
        response = client.post(
            "/api/v1/teams/lab/members",
            json={"email": email, "role": role},
            headers=bearer(make_key(ada)),
        )
        assert response.status_code == 201 and response.json["status"] == "invited"
        return urlsplit(response.json["invite_url"]).path, email

    return send


def _role(username):
    user = db.session.scalar(select(User).where(User.username == username))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    return membership.role if membership else None


def test_someone_without_an_account_creates_one_and_joins(client, invite):
    path, email = invite(role="admin")
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "lab" in text and email in text
    created = client.post(
        path,
        data={
            "username": "newbie",
            "display_name": "New Person",
            "password": "a-long-enough-password",
            "confirm": "a-long-enough-password",
            "csrf_token": csrf_token(text),
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "newbie"))
    assert user.email == email and user.state == "active"
    assert _role("newbie") == "admin"
    assert client.get("/").status_code == 200  # signed in
    assert client.get(path).status_code == 404  # the link worked once


def test_bad_account_details_are_shown_and_nothing_is_created(client, invite):
    path, _ = invite()
    token = csrf_token(client.get(path).get_data(as_text=True))
    refused = client.post(
        path,
        data={"username": "x y", "password": "short", "confirm": "short", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert db.session.scalar(select(User).where(User.email == "new@example.test")) is None
    assert client.get(path).status_code == 200  # still usable


def test_a_signed_in_invitee_joins_with_one_click(client, invite):
    path, _ = invite(email="bob@example.test")
    bob = make_user("bob", email="bob@example.test", password=None)  # an account made since
    console = signed_in(client, bob)
    assert "Join lab" in console.get(path).get_data(as_text=True)
    joined = console.post(path)
    assert joined.status_code == 302
    assert _role("bob") == "member"


def test_another_signed_in_user_cannot_use_the_link(client, invite):
    path, _ = invite()
    console = signed_in(client, make_user("eve", password=None))
    refused = console.post(path)
    assert refused.status_code == 403
    assert "new@example.test" in refused.get_data(as_text=True)
    assert _role("eve") is None


def test_a_signed_out_invitee_with_an_account_is_asked_to_sign_in(client, invite):
    path, email = invite()
    make_user("late", email=email, password=None)
    text = client.get(path).get_data(as_text=True)
    assert "Sign in" in text and f"/login?next={path}" in text


def test_an_unknown_link_is_404(client):
    assert client.get("/invitations/not-a-token").status_code == 404
