"""An instance invitation in SSO-only mode: the invitee accepts it by signing in with the
identity provider, never by choosing a password (which would give them a session that
bypasses the provider), against the real provider (oidc-provider-mock)."""

from urllib.parse import urlsplit

from sqlalchemy import select

from server.extensions import db
from server.models import User
from server.services import user_invites
from tests.factories import csrf_token, make_user
from tests.sso_support import finish, signed_in


def test_in_sso_only_mode_an_invited_user_accepts_only_through_sso(make_app, oidc_provider):
    app = make_app(
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id="outpost",
        oidc_client_secret="s3cret",
        oidc_button_label="Sign in with Example ID",
        sso_only=True,
    )
    with app.app_context():
        admin = make_user("root", system_admin=True)
        result = user_invites.invite_user("vera@example.test", invited_by=admin)
        path = urlsplit(result.link).path
        client = app.test_client()

        page = client.get(path).get_data(as_text=True)
        assert "Sign in with Example ID" in page and 'name="password"' not in page

        form = {
            "csrf_token": csrf_token(client.get("/login").get_data(as_text=True)),
            "username": "vera",
            "display_name": "Vera",
            "password": "a long enough passphrase 42",
            "confirm": "a long enough passphrase 42",
        }
        refused = client.post(path, data=form)
        assert refused.status_code == 403 and not signed_in(client)
        assert "single sign-on" in refused.get_data(as_text=True)
        db.session.expire_all()
        vera = db.session.scalar(select(User).where(User.email == "vera@example.test"))
        assert vera.state == "invited" and vera.password_hash is None

        oidc_provider.set_user("sub-vera", email="vera@example.test", email_verified=True)
        start = client.get("/login/oidc")
        assert start.status_code == 302
        done = finish(client, oidc_provider.authorize(start.headers["Location"], "sub-vera"))
        assert done.status_code == 302 and signed_in(client)
        db.session.expire_all()
        assert db.session.get(User, vera.id).state == "active"
