"""Who is asking: a session user (console) or an API-key holder (API), one interface for both.

Both loaders yield a :class:`Principal`, a read-only snapshot of the user row loaded with one
Core query (no ORM session work on the hot path). Services that change a user load the model
by ``principal.id``. Sessions authenticate console pages only; API keys authenticate the API
surface only (``/api/``, ``/scim/``, and the W&B protocol's ``/graphql`` and ``/files/``), and SCIM
tokens ``/scim/`` only, so a browser session cannot be ridden into the API without CSRF protection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, g, request

from ..extensions import login_manager
from .declare import PRELOAD_ATTR

PRINCIPAL_COLUMNS = (
    "id",
    "username",
    "email",
    "display_name",
    "kind",
    "state",
    "system_admin",
    "seat_type",
    "session_version",
    "created_at",
    "last_active_at",
)


@dataclass(frozen=True)
class Principal:
    id: int
    username: str
    email: str | None
    display_name: str
    kind: str
    state: str
    system_admin: bool
    seat_type: str
    session_version: int
    created_at: datetime
    last_active_at: datetime | None
    auth_method: str = "session"
    # Read with the principal when the endpoint declares it wants it (``preload=``): the team a
    # client that names none logs to; ``default_team_loaded`` tells None from "not read".
    default_team: str | None = None
    default_team_loaded: bool = False

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.state == "active"

    @property
    def is_service_account(self) -> bool:
        return self.kind == "service_account"

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @classmethod
    def from_row(cls, row, auth_method: str) -> Principal:
        columns = {name: row[name] for name in PRINCIPAL_COLUMNS}
        if "default_team" in row:
            columns.update(default_team=row["default_team"], default_team_loaded=True)
        return cls(**columns, auth_method=auth_method)


API_PATH_PREFIXES = ("/api/", "/files/", "/scim/")


def _is_scim_request() -> bool:
    return request.path == "/scim" or request.path.startswith("/scim/")


def _is_api_request() -> bool:
    return request.path.startswith(API_PATH_PREFIXES) or request.path in ("/graphql", "/scim")


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "console.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.session_protection = "basic"
    login_manager.is_api_request = _is_api_request

    @login_manager.user_loader
    def load_session_user(session_id: str):
        if _is_api_request():
            return None
        from ..services.console_sessions import principal_for
        from ..sessions import session_token

        return principal_for(session_id, session_token())

    def _scim_token_principal(header: str):
        """(principal, error) for ``Bearer scim_...``; (None, None) for any other credential."""
        from ..services import scim_tokens

        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not scim_tokens.is_scim_token(value):
            return None, None
        principal = scim_tokens.authenticate_token(value)
        return principal, None if principal else "Invalid or revoked SCIM token."

    @login_manager.request_loader
    def load_api_key_user(req):
        if not _is_api_request():
            return None
        header = req.headers.get("Authorization", "")
        if not header:
            return None
        from ..services.api_keys import authenticate_header

        if _is_scim_request():  # SCIM tokens are accepted on the SCIM endpoints only
            principal, error = _scim_token_principal(header)
            if principal is not None or error is not None:
                g.auth_error = error
                return principal
        # What the endpoint reads with the principal comes in the same query.
        view = current_app.view_functions.get(req.endpoint)
        wants = getattr(view, PRELOAD_ATTR, ())
        principal, error = authenticate_header(header, with_default_team="default_team" in wants)
        if error:
            g.auth_error = error
        return principal
