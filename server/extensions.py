"""Flask extension instances, bound to an app in ``create_app``."""

import logging

from flask import Flask, request
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Stable constraint names so migrations behave the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()


class ApiAwareLoginManager(LoginManager):
    """flask-login, with a short way for the API surface: an API request is authenticated by
    its credentials only (sessions and remember cookies never count there, see
    :mod:`server.auth.principal`), so it goes straight to the request loader, without the
    session-protection hash or the cookie reads that would find nothing."""

    is_api_request = None  # set by server.auth.principal: () -> bool

    def _load_user(self):
        if self.is_api_request is not None and self.is_api_request():
            return self._update_request_context_with_user(self._load_user_from_request(request))
        return super()._load_user()

    def _update_remember_cookie(self, response):
        # Only the console signs in and out: an API response neither sets nor clears the
        # remember cookie (nor reads the session to find there is nothing to do).
        if self.is_api_request is not None and self.is_api_request():
            return response
        return super()._update_remember_cookie(response)


login_manager = ApiAwareLoginManager()
csrf = CSRFProtect()


log = logging.getLogger(__name__)


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys (and their ON DELETE rules) only when asked, per connection."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def init_sqlite(app: Flask) -> None:
    """On SQLite, set on every new connection: WAL (readers and the writer do not block each
    other), a busy timeout (a writer waits for the lock instead of failing with "database is
    locked") and ``synchronous`` (FULL by default: a committed write survives a power cut).
    """
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    settings = app.config["OUTPOST"]
    busy_ms = settings.sqlite_busy_timeout_ms
    synchronous = settings.sqlite_synchronous.upper()
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
            except Exception as exc:  # sqlite3.OperationalError: a read-only database file
                log.warning("SQLite database cannot switch to WAL journal mode: %s", exc)
            cursor.execute(f"PRAGMA synchronous={synchronous}")
        finally:
            cursor.close()
