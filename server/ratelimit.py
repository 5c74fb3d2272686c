"""Rate limits for the few endpoints that need them (sign-in), on the ``limits`` library.

Flask-Limiter's request hooks cost every API request a check even where no limit applies, so
views call :func:`check` themselves. Storage comes from ``ratelimit_storage_uri`` (memory, or a
shared Redis/Memcached for several workers and replicas).
"""

from __future__ import annotations

from flask import Flask, current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .errors import RateLimited

_EXTENSION = "outpost_ratelimit"


def init_app(app: Flask) -> None:
    storage = storage_from_string(app.config["OUTPOST"].ratelimit_storage_uri)
    app.extensions[_EXTENSION] = MovingWindowRateLimiter(storage)


def check(scope: str, limit: str, key: str | None = None) -> None:
    """Count one hit for ``scope`` and the client; raise RateLimited past ``limit``."""
    limiter: MovingWindowRateLimiter = current_app.extensions[_EXTENSION]
    item = parse(limit)
    if not limiter.hit(item, scope, key or request.remote_addr or "unknown"):
        raise RateLimited(
            f"Too many attempts ({limit}). Wait a minute and try again.", code="rate_limited"
        )
