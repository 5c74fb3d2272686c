"""The web console: server-rendered pages with CSRF-protected forms, one module per noun."""

from flask import Blueprint, Flask

bp = Blueprint("console", __name__)


def init_app(app: Flask) -> None:
    from . import (  # noqa: F401  (register routes)
        account_security,
        admin_activity,
        admin_audit,
        admin_home,
        admin_license,
        admin_roles,
        admin_scim,
        admin_settings,
        admin_sign_in,
        admin_team_detail,
        admin_teams,
        admin_user_delete,
        admin_user_detail,
        admin_users,
        api_keys,
        artifacts,
        auth,
        compare,
        github,
        home,
        models,
        password_reset,
        profile,
        projects,
        reports,
        run_page,
        runs,
        signup,
        sso,
        team_invitations,
        team_members,
        team_registry,
        team_service_accounts,
        teams,
        user_invites,
        users_public,
        wandb_links,
    )
    from .templating import init_templating

    app.register_blueprint(bp)
    init_templating(app)

    @app.context_processor
    def license_banner():
        """A banner across the console while the license needs attention (admins only)."""
        from flask_login import current_user

        if not getattr(current_user, "is_authenticated", False) or not current_user.system_admin:
            return {"license_banner": None}
        from ..services.licensing import current_status

        status = current_status()
        return {"license_banner": status.reason if status.needs_attention else None}

    @app.context_processor
    def instance_chrome():
        """The instance name in the header and the admins' banner message for signed-in users."""
        from .chrome import chrome_context

        return chrome_context()
