"""Outpost: the Flask application factory. It wires parts together and does nothing else:
no migrations, no network, no prompts."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .config import (
    ConfigError,
    Settings,
    data_dir,
    database_url,
    development_secret_key,
    load_settings,
)

__all__ = ["ConfigError", "create_app"]


class OutpostFlask(Flask):
    """Flask, except that each hook and view is checked for ``async def`` once, not on every
    request (Flask asks ``inspect`` for each of a request's dozen hooks; none is async here)."""

    _SYNC_CACHE_LIMIT = 1024  # hooks and views are few; anything beyond is not cached

    def ensure_sync(self, func):
        cache = self.__dict__.setdefault("_sync_callables", {})
        found = cache.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(cache) < self._SYNC_CACHE_LIMIT:
                cache[func] = found
        return found


def _flask_config(settings: Settings) -> dict[str, Any]:
    production = settings.env == "production"
    secret = settings.secret_key or development_secret_key(settings)
    return {
        "OUTPOST": settings,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url(settings),
        # Pre-ping guards against dropped server connections; a SQLite file has none. A failed
        # statement's error (logged as unhandled) must not show its values: license tokens,
        # hashes and e-mails are among them.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": not database_url(settings).startswith("sqlite"),
            "hide_parameters": True,
        },
        "OUTPOST_DATA_DIR": str(data_dir(settings)),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "outpost_session",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        # Request bodies (JSON, forms) are small; the filesystem storage route lifts this for
        # uploads, whose size its signed URL limits instead.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "JSON_SORT_KEYS": False,
    }


def create_app(
    config: dict[str, Any] | None = None, environ: dict[str, str] | None = None
) -> Flask:
    """Build the application. ``config`` overrides settings by name (see config/defaults.toml).

    Raises ConfigError when a setting is malformed or a production requirement is missing.
    """
    settings = load_settings(environ=environ, overrides=config)
    app = OutpostFlask(__name__)
    app.config.update(_flask_config(settings))

    from . import (  # noqa: F401
        errors,
        health,
        logs,
        models,
        ratelimit,
        request_checks,
        security_headers,
        sessions,
    )
    from .auth import principal
    from .extensions import csrf, db, init_sqlite, migrate

    logs.init_app(app)
    db.init_app(app)
    init_sqlite(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    csrf.init_app(app)
    ratelimit.init_app(app)
    sessions.init_app(app)
    principal.init_app(app)
    errors.init_app(app)
    request_checks.init_app(app)
    health.init_app(app)
    security_headers.init_app(app)
    from . import metrics

    metrics.init_app(app)

    from . import api, console, scim, storage_routes, wandb

    api.init_app(app)
    console.init_app(app)
    scim.init_app(app)
    storage_routes.init_app(app)
    wandb.init_app(app)
    _trust_proxies(app, settings.trusted_proxies)
    return app


def _trust_proxies(app: Flask, hops: int) -> None:
    """Behind ``hops`` reverse proxies, read the client address, scheme and host from their
    X-Forwarded-* headers (rate limits, the audit log, HTTPS detection); with 0, ignore them."""
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent / "migrations"
