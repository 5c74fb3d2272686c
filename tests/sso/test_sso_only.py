"""SSO-only mode: password sign-in is refused for everyone but break-glass system admins;
API keys keep working."""

from server.cli import main
from server.extensions import db
from server.models import User
from tests.factories import bearer, login, make_key, make_user
from tests.sso_support import refusal_reasons


def test_password_sign_in_in_sso_only_mode(make_app):
    app = make_app(sso_only=True)
    with app.app_context():
        member = make_user("mia")
        admin = make_user("root", system_admin=True)
        other_admin = make_user("ops", system_admin=True)
        key = make_key(member)
        result = app.test_cli_runner().invoke(main, ["users", "break-glass", "root"])
        assert result.exit_code == 0, result.output

        response = login(app.test_client(), "mia")
        assert response.status_code == 401
        assert "use single sign-on" in response.get_data(as_text=True)
        assert login(app.test_client(), "ops").status_code == 401
        assert refusal_reasons() == ["sso_only", "sso_only"]

        client = app.test_client()
        assert login(client, "root").status_code == 302
        assert client.get("/").status_code == 200
        # API keys are not sign-ins: they keep working.
        assert app.test_client().get("/api/v1/viewer", headers=bearer(key)).status_code == 200
        db.session.expire_all()
        assert db.session.get(User, admin.id).break_glass is True
        assert db.session.get(User, other_admin.id).break_glass is False


def test_only_system_admins_can_be_break_glass(make_app):
    app = make_app()
    with app.app_context():
        make_user("nia")
        result = app.test_cli_runner().invoke(main, ["users", "break-glass", "nia"])
        assert result.exit_code != 0 and "Only system admins" in result.output


def test_break_glass_is_set_in_the_console_and_dropped_on_demotion(make_app):
    from server.services import users as user_service
    from tests.console.helpers import html, signed_in

    app = make_app()
    with app.app_context():
        root = make_user("root", system_admin=True, password=None)
        make_user("ops", system_admin=True, password=None)
        console = signed_in(app.test_client(), root)
        assert "Make break-glass" in html(console.get("/admin/users"))
        console.post("/admin/users/ops/change", {"change": "break_glass_on"})
        db.session.expire_all()
        ops = user_service.get_by_username("ops")
        assert ops.break_glass is True
        assert "Remove break-glass" in html(console.get("/admin/users"))
        console.post("/admin/users/ops/change", {"change": "demote"})
        db.session.expire_all()
        assert user_service.get_by_username("ops").break_glass is False
