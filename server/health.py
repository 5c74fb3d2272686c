"""``/healthz`` (the process is up) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app
from sqlalchemy import text

from .auth import public
from .extensions import db

bp = Blueprint("health", __name__)

# Subsystems add checks here (name -> callable raising on failure), e.g. instance storage.
READINESS_CHECKS_KEY = "outpost_readiness_checks"


@bp.get("/healthz")
@public
def healthz():
    return {"status": "ok"}


def _check_database() -> None:
    db.session.execute(text("SELECT 1"))


@bp.get("/readyz")
@public
def readyz():
    checks = {"database": _check_database, **current_app.extensions[READINESS_CHECKS_KEY]}
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # readiness reports every failure, whatever its kind
            current_app.logger.warning("readiness check %s failed: %s", name, exc)
            results[name] = "unavailable"
    ready = all(value == "ok" for value in results.values())
    return {"status": "ok" if ready else "unavailable", "checks": results}, 200 if ready else 503


def init_app(app: Flask) -> None:
    app.extensions.setdefault(READINESS_CHECKS_KEY, {})
    app.register_blueprint(bp)
