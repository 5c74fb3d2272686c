"""Rate limits for the few endpoints that need them (sign-in), on the ``limits`` library.

Flask-Limiter's request hooks cost every API request a check even where no limit applies, so
views call :func:`check` themselves. Storage comes from ``ratelimit_storage_uri``: memory counts
per process; a shared Redis (or Memcached) counts across gunicorn workers and replicas. The
client is ``request.remote_addr``, which ProxyFix (``trusted_proxies``) sets from
X-Forwarded-For only when the operator says how many proxies are in front.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, request
from limits import parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from .errors import RateLimited, ServiceUnavailable

log = logging.getLogger(__name__)

_EXTENSION = "outpost_ratelimit"
# A shared store that stops answering must not hang sign-in (seconds).
STORE_TIMEOUT = 2.0


def _storage(uri: str):
    options: dict = {"wrap_exceptions": True}
    if uri.startswith(("redis://", "rediss://", "redis+unix://")):
        options.update(socket_connect_timeout=STORE_TIMEOUT, socket_timeout=STORE_TIMEOUT)
    return storage_from_string(uri, **options)


def init_app(app: Flask) -> None:
    storage = _storage(app.config["OUTPOST"].ratelimit_storage_uri)
    app.extensions[_EXTENSION] = MovingWindowRateLimiter(storage)


def check(scope: str, limit: str, key: str | None = None) -> None:
    """Count one hit for ``scope`` and the client; raise RateLimited past ``limit``, and
    ServiceUnavailable (``rate_limit_unavailable``) when the shared store does not answer:
    sign-in fails closed rather than go uncounted."""
    limiter: MovingWindowRateLimiter = current_app.extensions[_EXTENSION]
    item = parse(limit)
    try:
        allowed = limiter.hit(item, scope, key or request.remote_addr or "unknown")
    except StorageError as exc:
        log.error("rate-limit store unavailable: %s", exc.storage_error)
        raise ServiceUnavailable(
            "Sign-in is briefly unavailable (the rate-limit store does not answer). Try again.",
            code="rate_limit_unavailable",
        ) from None
    if not allowed:
        raise RateLimited(
            f"Too many attempts ({limit}). Wait a minute and try again.", code="rate_limited"
        )
