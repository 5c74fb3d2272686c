"""OpenID Connect sign-in against a real provider (oidc-provider-mock): linking, just-in-time
accounts, invitations, and the refusals about the account (each audited with its reason)."""

from contextlib import ExitStack

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import User, UserIdentity
from server.services import user_invites
from server.services import users as user_service
from tests.factories import csrf_token, login, make_user
from tests.sso_support import (
    finish,
    login_events,
    query,
    refusal_reasons,
    signed_in,
    start,
    with_query,
)


@pytest.fixture
def sso_app(make_app, oidc_provider):
    """Build an app signing in at the mock provider; its app context stays open."""
    with ExitStack() as stack:

        def build(**extra):
            app = make_app(
                oidc_issuer=oidc_provider.issuer,
                oidc_client_id="outpost",
                oidc_client_secret="s3cret",
                **extra,
            )
            stack.enter_context(app.app_context())
            return app

        yield build


@pytest.fixture
def sso_client(sso_app):
    return sso_app().test_client()


def sign_in(client, provider, sub, **claims):
    provider.set_user(sub, **claims)
    return finish(client, provider.authorize(start(client), sub))


def test_sign_in_page_shows_the_button_only_when_configured(make_app, sso_app):
    plain = make_app()
    assert "/login/oidc" not in plain.test_client().get("/login").get_data(as_text=True)
    app = sso_app(oidc_button_label="Sign in with Example ID")
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "Sign in with Example ID" in page and "/login/oidc" in page


def test_the_redirect_uri_is_under_outpost_url(sso_app):
    client = sso_app(url="https://outpost.example.com").test_client()
    params = query(start(client))
    assert params["redirect_uri"] == "https://outpost.example.com/login/oidc/callback"
    assert params["code_challenge_method"] == "S256" and params["code_challenge"]
    assert params["state"] and params["nonce"]
    assert params["scope"] == "openid email profile"


def test_verified_email_links_the_existing_account(sso_client, oidc_provider):
    ada = make_user("ada", email="ada@example.test")
    response = sign_in(
        sso_client, oidc_provider, "sub-ada", email="ada@example.test", email_verified=True
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in(sso_client)
    identity = db.session.scalar(select(UserIdentity).where(UserIdentity.subject == "sub-ada"))
    assert identity.user_id == ada.id and identity.issuer == oidc_provider.issuer
    actions = [(e.action, e.result, e.details.get("method")) for e in login_events()]
    assert ("sso:link", "success", None) in actions
    assert ("user:login", "success", "oidc") in actions
    db.session.refresh(ada)
    assert ada.last_active_at is not None


def test_next_page_is_kept_through_the_flow(sso_client, oidc_provider):
    make_user("bea", email="bea@example.test")
    oidc_provider.set_user("sub-bea", email="bea@example.test", email_verified=True)
    authorize_url = start(sso_client, next_path="/settings/profile")
    response = finish(sso_client, oidc_provider.authorize(authorize_url, "sub-bea"))
    assert response.headers["Location"] == "/settings/profile"


def test_linked_identity_signs_in_again_even_after_an_email_change(sso_client, oidc_provider):
    make_user("cleo", email="cleo@example.test")
    sign_in(sso_client, oidc_provider, "sub-cleo", email="cleo@example.test", email_verified=True)
    other = sso_client.application.test_client()
    sign_in(other, oidc_provider, "sub-cleo", email="cleo@new.example", email_verified=False)
    assert signed_in(other)


def test_unverified_email_matching_an_account_is_refused(sso_client, oidc_provider):
    make_user("dan", email="dan@example.test")
    response = sign_in(
        sso_client, oidc_provider, "sub-mallory", email="dan@example.test", email_verified=False
    )
    assert response.status_code == 403
    assert "has not verified" in response.get_data(as_text=True)
    assert not signed_in(sso_client)
    assert refusal_reasons() == ["unverified_email"]
    assert db.session.scalar(select(UserIdentity)) is None


def test_unknown_person_is_refused_when_provisioning_is_off(sso_client, oidc_provider):
    response = sign_in(
        sso_client, oidc_provider, "sub-new", email="new@example.test", email_verified=True
    )
    assert response.status_code == 403
    assert "Ask an admin for an invitation" in response.get_data(as_text=True)
    assert refusal_reasons() == ["provisioning_off"]
    assert db.session.scalar(select(User).where(User.email == "new@example.test")) is None


def test_just_in_time_provisioning_creates_a_full_seat_user(sso_app, oidc_provider):
    app = sso_app(oidc_auto_provision=True)
    client = app.test_client()
    response = sign_in(
        client,
        oidc_provider,
        "sub-eve",
        email="eve.smith@example.test",
        email_verified=True,
        preferred_username="Eve.Smith@example.test",
        name="Eve Smith",
    )
    assert response.status_code == 302 and signed_in(client)
    user = db.session.scalar(select(User).where(User.email == "eve.smith@example.test"))
    assert (user.username, user.display_name, user.seat_type) == ("eve-smith", "Eve Smith", "full")
    assert user.password_hash is None
    assert [e.action for e in login_events()] == ["sso:provision", "sso:link", "user:login"]


def test_username_falls_back_to_the_email_local_part(sso_app, oidc_provider):
    client = sso_app(oidc_auto_provision=True).test_client()
    make_user("fay")  # the local part is taken: a suffix makes it unique
    sign_in(client, oidc_provider, "sub-fay", email="fay@corp.example", email_verified=True)
    user = db.session.scalar(select(User).where(User.email == "fay@corp.example"))
    assert user.username == "fay-2"


def test_provisioning_needs_a_verified_email(sso_app, oidc_provider):
    client = sso_app(oidc_auto_provision=True).test_client()
    response = sign_in(
        client, oidc_provider, "sub-gil", email="gil@example.test", email_verified=False
    )
    assert response.status_code == 403 and refusal_reasons() == ["no_verified_email"]


def test_deactivated_user_is_refused_at_the_callback(sso_client, oidc_provider):
    hal = make_user("hal", email="hal@example.test")
    sign_in(sso_client, oidc_provider, "sub-hal", email="hal@example.test", email_verified=True)
    user_service.deactivate(db.session.get(User, hal.id))
    client = sso_client.application.test_client()
    response = sign_in(
        client, oidc_provider, "sub-hal", email="hal@example.test", email_verified=True
    )
    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)
    assert not signed_in(client)
    assert refusal_reasons() == ["deactivated"]


def test_an_invitation_is_accepted_through_sso(sso_client, oidc_provider):
    admin = make_user("root", system_admin=True)
    invite = user_invites.invite_user("ivy@example.test", invited_by=admin)
    assert invite.user.state == "invited"
    response = sign_in(
        sso_client, oidc_provider, "sub-ivy", email="ivy@example.test", email_verified=True
    )
    assert response.status_code == 302 and signed_in(sso_client)
    db.session.refresh(invite.user)
    assert invite.user.state == "active"
    link = next(e for e in login_events() if e.action == "sso:link")
    assert link.details["invitation_accepted"] is True


def test_replayed_code_is_refused_by_the_provider(sso_client, oidc_provider):
    make_user("jo", email="jo@example.test")
    oidc_provider.set_user("sub-jo", email="jo@example.test", email_verified=True)
    first = oidc_provider.authorize(start(sso_client), "sub-jo")
    assert finish(sso_client, first).status_code == 302
    attacker = sso_client.application.test_client()
    fresh = oidc_provider.authorize(start(attacker), "sub-jo")
    # The attacker's own (valid) state with the victim's already used code.
    response = finish(attacker, with_query(fresh, code=query(first)["code"]))
    assert response.status_code == 401
    assert "refused the sign-in" in response.get_data(as_text=True)
    assert not signed_in(attacker)
    assert refusal_reasons()[-1].startswith("provider_error")


def test_sign_out_also_ends_the_provider_session(sso_client, oidc_provider):
    make_user("kim", email="kim@example.test")
    sign_in(sso_client, oidc_provider, "sub-kim", email="kim@example.test", email_verified=True)
    token = csrf_token(sso_client.get("/").get_data(as_text=True))
    response = sso_client.post("/logout", data={"csrf_token": token})
    location = response.headers["Location"]
    assert location.startswith(f"{oidc_provider.issuer}/oauth2/end_session?")
    params = query(location)
    assert params["post_logout_redirect_uri"].endswith("/login") and params["id_token_hint"]
    assert not signed_in(sso_client)


def test_password_sign_out_stays_at_outpost(sso_client):
    make_user("lou")
    login(sso_client, "lou")
    token = csrf_token(sso_client.get("/").get_data(as_text=True))
    response = sso_client.post("/logout", data={"csrf_token": token})
    assert response.headers["Location"] == "/login"
