"""Admin › Sign-in: the SSO settings (environment values read-only, the secret sealed at rest)
and the "Test" button that says in words what is wrong with the provider."""

from sqlalchemy import select

from server.extensions import db
from server.models import InstanceSetting
from tests.console.helpers import html, signed_in
from tests.factories import make_user
from tests.fixtures.ports import free_port


def _admin(app):
    return signed_in(app.test_client(), make_user("root", system_admin=True, password=None))


def _flashes(console, response) -> str:
    assert response.status_code == 302
    return html(console.get(response.headers["Location"]))


def test_settings_are_edited_and_the_secret_sealed(make_app, forged_provider):
    app = make_app()
    with app.app_context():
        console = _admin(app)
        page = html(console.get("/admin/sign-in"))
        assert "oidc_issuer" in page and "Sign-in" in page and "/login/oidc/callback" in page
        response = console.post(
            "/admin/settings",
            {
                "page": "sign-in",
                "oidc_issuer": forged_provider.issuer,
                "oidc_client_id": "outpost",
                "oidc_client_secret": "very-secret-value",
                "oidc_scopes": "openid email profile",
                "oidc_username_claim": "preferred_username",
                "oidc_button_label": "Sign in with Forged ID",
            },
        )
        assert response.status_code == 302 and response.headers["Location"] == "/admin/sign-in"
        stored = db.session.scalar(
            select(InstanceSetting).where(InstanceSetting.key == "setting:oidc_client_secret")
        )
        assert "sealed" in stored.value and "very-secret-value" not in str(stored.value)
        assert "Sign in with Forged ID" in html(app.test_client().get("/login"))
        # Only the sign-in settings were on the page, so only they changed.
        keys = db.session.scalars(select(InstanceSetting.key)).all()
        saved = [key for key in keys if key.startswith("setting:")]
        assert saved and all(key.startswith("setting:oidc_") for key in saved)
        page = _flashes(console, console.post("/admin/sign-in/test"))
        assert "looks right" in page


def test_environment_values_are_read_only(make_app, forged_provider):
    app = make_app(oidc_issuer=forged_provider.issuer)
    with app.app_context():
        page = html(_admin(app).get("/admin/sign-in"))
        assert "OUTPOST_OIDC_ISSUER" in page


def test_the_test_button_names_what_is_wrong(make_app, forged_provider):
    app = make_app(oidc_issuer=forged_provider.issuer + "/wrong", oidc_client_id="outpost")
    with app.app_context():
        console = _admin(app)
        page = _flashes(console, console.post("/admin/sign-in/test"))
        assert "answered HTTP 404" in page and "Check the issuer URL" in page


def test_the_test_button_says_when_the_provider_is_down(make_app):
    app = make_app(oidc_issuer=f"http://127.0.0.1:{free_port()}", oidc_client_id="outpost")
    with app.app_context():
        console = _admin(app)
        page = _flashes(console, console.post("/admin/sign-in/test"))
        assert "cannot be reached" in page


def test_the_page_is_for_system_admins_only(make_app):
    app = make_app()
    with app.app_context():
        member = signed_in(app.test_client(), make_user("mo", password=None))
        assert member.get("/admin/sign-in").status_code == 403
        assert member.post("/admin/sign-in/test").status_code == 403
