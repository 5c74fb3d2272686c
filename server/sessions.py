"""Console session cookies whose lifetime follows the ``session_hours`` system setting, so a
change in the console applies to the next request without a restart, and which name a session
kept on the server (services/console_sessions.py): every sign-in starts one, sign-out ends it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import user_logged_in, user_logged_out
from itsdangerous import BadSignature

# Where the cookie keeps the token of its server-side session.
SESSION_TOKEN_KEY = "_sid"


def session_lifetime() -> timedelta:
    from .services.system_settings import get_setting

    return timedelta(hours=get_setting("session_hours"))


class SettingsSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        value = request.cookies.get(self.get_cookie_name(app))
        if not value and app.secret_key:  # API clients send no cookie: nothing to read
            return self.session_class()
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        if not value:
            return self.session_class()
        try:
            max_age = int(session_lifetime().total_seconds())
            return self.session_class(serializer.loads(value, max_age=max_age))
        except BadSignature:
            return self.session_class()

    def save_session(self, app: Flask, session, response) -> None:
        # What Flask does for a session that is empty and unchanged (every API request), without
        # reading the cookie settings first.
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)

    def get_expiration_time(self, app: Flask, session) -> datetime | None:
        if session.permanent:
            return datetime.now(UTC) + session_lifetime()
        return None


def session_token() -> str | None:
    """The token of the current browser's server-side session, if it has one."""
    return session.get(SESSION_TOKEN_KEY)


def _started(sender: Flask, user, **_) -> None:
    """Every ``login_user`` (sign-in, setup, sign-up, accepted invitations) starts a session."""
    from .services import console_sessions

    console_sessions.end(session.pop(SESSION_TOKEN_KEY, None))
    session[SESSION_TOKEN_KEY] = console_sessions.start(user.id)


def _ended(sender: Flask, user, **_) -> None:
    from .services import console_sessions

    console_sessions.end(session.pop(SESSION_TOKEN_KEY, None))


def init_app(app: Flask) -> None:
    app.session_interface = SettingsSessionInterface()
    user_logged_in.connect(_started, app)
    user_logged_out.connect(_ended, app)
