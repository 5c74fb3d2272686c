"""Console session cookies whose lifetime follows the ``session_hours`` system setting, so a
change in the console applies to the next request without a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature


def session_lifetime() -> timedelta:
    from .services.system_settings import get_setting

    return timedelta(hours=get_setting("session_hours"))


class SettingsSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:  # API clients send no cookie: no settings lookup on their path
            return self.session_class()
        try:
            max_age = int(session_lifetime().total_seconds())
            return self.session_class(serializer.loads(value, max_age=max_age))
        except BadSignature:
            return self.session_class()

    def get_expiration_time(self, app: Flask, session) -> datetime | None:
        if session.permanent:
            return datetime.now(UTC) + session_lifetime()
        return None


def init_app(app: Flask) -> None:
    app.session_interface = SettingsSessionInterface()
