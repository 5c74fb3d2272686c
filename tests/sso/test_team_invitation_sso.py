"""A team invitation accepted by signing in with single sign-on, against the real provider
(oidc-provider-mock): the invitee joins with the invited role, an account is made for a new
person even with provisioning off, and only the provider's verified invited e-mail counts."""

from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Membership, TeamInvitation, User
from server.services import invitations
from tests.factories import csrf_token, make_team, make_user
from tests.sso_support import finish, refusal_reasons, signed_in


@pytest.fixture
def world(make_app, oidc_provider, request):
    with ExitStack() as stack:
        app = make_app(
            oidc_issuer=oidc_provider.issuer,
            oidc_client_id="outpost",
            oidc_client_secret="s3cret",
            oidc_button_label="Sign in with Example ID",
            sso_only=getattr(request, "param", False),
        )
        stack.enter_context(app.app_context())
        admin = make_user("root")
        team = make_team("vision", admins=[admin])
        yield app, team, admin


def invite(team, admin, email, role="member"):
    result = invitations.invite(team, email=email, username=None, role_name=role, invited_by=admin)
    return urlsplit(result.link).path.rsplit("/", 1)[1]


def join_with_sso(client, provider, token, sub, **claims):
    provider.set_user(sub, **claims)
    response = client.get("/login/oidc", query_string={"invitation": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return finish(client, provider.authorize(response.headers["Location"], sub))


def membership_of(email):
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        return None
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id))


def open_invitations():
    db.session.expire_all()
    return db.session.scalars(
        select(TeamInvitation).where(TeamInvitation.accepted_at.is_(None))
    ).all()


def test_the_invitation_page_offers_single_sign_on(world):
    app, team, admin = world
    token = invite(team, admin, "new@example.test")
    page = app.test_client().get(f"/invitations/{token}").get_data(as_text=True)
    assert "Sign in with Example ID and join" in page
    assert f"/login/oidc?invitation={token}" in page


def test_a_new_person_joins_with_an_account_made_even_with_provisioning_off(world, oidc_provider):
    app, team, admin = world
    token = invite(team, admin, "nia@example.test", role="admin")
    client = app.test_client()
    response = join_with_sso(
        client, oidc_provider, token, "sub-nia", email="nia@example.test", email_verified=True
    )
    assert response.status_code == 302
    home = client.get("/")  # signed in, with the news
    assert home.status_code == 200
    assert "You joined vision as admin." in home.get_data(as_text=True)
    membership = membership_of("nia@example.test")
    assert membership.team_id == team.id and membership.role == "admin"
    assert open_invitations() == []
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert {"sso:provision", "sso:link", "member:join", "user:login"} <= set(actions)


def test_an_account_made_after_the_invitation_joins_through_sso(world, oidc_provider):
    app, team, admin = world
    token = invite(team, admin, "pia@example.test", role="admin")
    make_user("pia", email="pia@example.test")  # signed up meanwhile, with a password
    client = app.test_client()
    response = join_with_sso(
        client, oidc_provider, token, "sub-pia", email="pia@example.test", email_verified=True
    )
    assert response.status_code == 302 and signed_in(client)
    membership = membership_of("pia@example.test")
    assert membership.role == "admin" and membership.team_id == team.id
    assert db.session.scalar(select(User).where(User.username == "pia")).id == membership.user_id


@pytest.mark.parametrize(
    "claims",
    [
        {"email": "someone.else@example.test", "email_verified": True},
        {"email": "quin@example.test", "email_verified": False},
        {},
    ],
    ids=["another-email", "unverified", "no-email"],
)
def test_only_the_verified_invited_email_accepts(world, oidc_provider, claims):
    app, team, admin = world
    token = invite(team, admin, "quin@example.test")
    client = app.test_client()
    response = join_with_sso(client, oidc_provider, token, "sub-quin", **claims)
    assert response.status_code == 403
    assert "This invitation was sent to quin@example.test" in response.get_data(as_text=True)
    assert not signed_in(client)
    assert refusal_reasons() == ["invitation_email_mismatch"]
    assert membership_of("quin@example.test") is None
    assert len(open_invitations()) == 1  # still there for the right account


def test_a_used_link_does_not_start_a_sign_in(world, oidc_provider):
    app, team, admin = world
    token = invite(team, admin, "ria@example.test")
    client = app.test_client()
    join_with_sso(
        client, oidc_provider, token, "sub-ria", email="ria@example.test", email_verified=True
    )
    again = app.test_client().get("/login/oidc", query_string={"invitation": token})
    assert again.status_code == 404
    assert "invalid, used or expired" in again.get_data(as_text=True)


def test_a_plain_sign_in_after_an_abandoned_invitation_joins_nothing(world, oidc_provider):
    app, team, admin = world
    token = invite(team, admin, "sam@example.test")
    make_user("sam", email="sam@example.test")
    client = app.test_client()
    client.get("/login/oidc", query_string={"invitation": token})  # abandoned at the provider
    oidc_provider.set_user("sub-sam", email="sam@example.test", email_verified=True)
    start = client.get("/login/oidc")
    response = finish(client, oidc_provider.authorize(start.headers["Location"], "sub-sam"))
    assert response.status_code == 302 and signed_in(client)
    assert membership_of("sam@example.test") is None and len(open_invitations()) == 1


@pytest.mark.parametrize("world", [True], indirect=True, ids=["sso-only"])
def test_in_sso_only_mode_a_new_person_joins_only_through_sso(world, oidc_provider):
    app, team, admin = world
    token = invite(team, admin, "uma@example.test")
    client = app.test_client()
    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Sign in with Example ID and join" in page and 'name="password"' not in page
    form = {
        "csrf_token": csrf_token(client.get("/login").get_data(as_text=True)),
        "username": "uma",
        "display_name": "Uma",
        "password": "a long enough passphrase 42",
        "confirm": "a long enough passphrase 42",
    }
    refused = client.post(f"/invitations/{token}", data=form)
    assert refused.status_code == 403 and not signed_in(client)
    assert "join with single sign-on" in refused.get_data(as_text=True)
    assert membership_of("uma@example.test") is None
    response = join_with_sso(
        client, oidc_provider, token, "sub-uma", email="uma@example.test", email_verified=True
    )
    assert response.status_code == 302 and membership_of("uma@example.test") is not None


def test_a_linked_account_with_another_email_cannot_take_the_invitation(world, oidc_provider):
    app, team, admin = world
    make_user("tom", email="tom@old.example")
    client = app.test_client()
    oidc_provider.set_user("sub-tom", email="tom@old.example", email_verified=True)
    start = client.get("/login/oidc")
    finish(client, oidc_provider.authorize(start.headers["Location"], "sub-tom"))  # linked
    token = invite(team, admin, "tom@new.example")
    other = app.test_client()
    response = join_with_sso(
        other, oidc_provider, token, "sub-tom", email="tom@new.example", email_verified=True
    )
    assert response.status_code == 403 and not signed_in(other)
    assert refusal_reasons() == ["invitation_for_another_user"]
    assert len(open_invitations()) == 1
