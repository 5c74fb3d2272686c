"""The JSON API under ``/api/v1``: one module per noun, each registering on ``api``."""

from flask import Blueprint, Flask

api = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    from ..extensions import csrf
    from . import (  # noqa: F401  (register routes)
        activity,
        api_keys,
        artifact_aliases,
        artifacts,
        audit_log,
        invitations,
        license,
        members,
        openapi,
        profile,
        projects,
        registry,
        registry_admins,
        reports,
        roles,
        run_artifacts,
        run_streams,
        runs,
        service_accounts,
        sweeps,
        system_settings,
        teams,
        users,
        viewer,
    )

    # API calls authenticate with keys in a header, never with the session cookie, so CSRF
    # tokens do not apply to them.
    csrf.exempt(api)
    app.register_blueprint(api)
