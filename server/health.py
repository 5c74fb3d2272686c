"""``/healthz`` (the process is up) and ``/readyz`` (its dependencies answer).

``/healthz`` touches neither the database nor storage. ``/readyz`` runs each check in a
background thread and answers within ``readiness_timeout`` seconds whatever the checks do: a
check still running then is reported as ``timeout``, and the next probe waits for that same
run instead of starting another, so a hanging dependency never piles up threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from flask import Blueprint, Flask, current_app
from sqlalchemy import text

from .auth import public
from .database_errors import database_problem
from .extensions import db

bp = Blueprint("health", __name__)

# Subsystems add checks here (name -> callable raising on failure), e.g. instance storage.
READINESS_CHECKS_KEY = "outpost_readiness_checks"
_RUNS_KEY = "outpost_readiness_runs"
MAX_CHECK_THREADS = 8


class NotReady(Exception):
    """Raised by a check to report a status more precise than ``unavailable``."""

    def __init__(self, status: str, message: str = ""):
        super().__init__(message or status)
        self.status = status


@bp.get("/healthz")
@public
def healthz():
    return {"status": "ok"}


def check_database() -> None:
    """The database answers and accepts writes, without waiting on anyone's locks.

    PostgreSQL: ``transaction_read_only`` (a hot standby, ``default_transaction_read_only``).
    SQLite: a no-op update, rolled back, with no busy wait: a lock held by another writer
    proves the file is writable; only SQLITE_READONLY means it is not.
    """
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            if connection.execute(text("SHOW transaction_read_only")).scalar() == "on":
                raise NotReady("read_only", "the database is read-only")
            return
        if connection.dialect.name == "sqlite":
            _probe_sqlite_write(connection)
            return
        connection.execute(text("SELECT 1"))


def _probe_sqlite_write(connection) -> None:
    busy_ms = connection.execute(text("PRAGMA busy_timeout")).scalar()
    connection.execute(text("PRAGMA busy_timeout=0"))
    try:
        connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
    except Exception as exc:
        problem = database_problem(exc)
        if problem == "read_only":
            raise NotReady("read_only", "the database is read-only") from exc
        if problem != "busy":
            raise
    finally:
        connection.rollback()
        connection.execute(text(f"PRAGMA busy_timeout={int(busy_ms)}"))
        connection.commit()


class _Runs:
    """At most one run of each check at a time, on a small per-process thread pool."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: dict[str, Future] = {}
        self.pool = ThreadPoolExecutor(MAX_CHECK_THREADS, thread_name_prefix="readyz")

    def start(self, app: Flask, name: str, check: Callable[[], None]) -> Future:
        with self.lock:
            future = self.running.get(name)
            if future is None or future.done():
                future = self.pool.submit(_run_in_app, app, check)
                self.running[name] = future
            return future


def _run_in_app(app: Flask, check: Callable[[], None]) -> None:
    with app.app_context():
        try:
            check()
        finally:
            db.session.remove()


def _outcome(name: str, future: Future) -> str:
    if not future.done():
        current_app.logger.warning("readiness check %s did not finish in time", name)
        return "timeout"
    exc = future.exception()
    if exc is None:
        return "ok"
    current_app.logger.warning("readiness check %s failed: %s", name, exc)
    return exc.status if isinstance(exc, NotReady) else "unavailable"


@bp.get("/readyz")
@public
def readyz():
    app = current_app._get_current_object()
    checks = {"database": check_database, **app.extensions[READINESS_CHECKS_KEY]}
    runs: _Runs = app.extensions[_RUNS_KEY]
    futures = {name: runs.start(app, name, check) for name, check in checks.items()}
    wait(futures.values(), timeout=app.config["OUTPOST"].readiness_timeout)
    results = {name: _outcome(name, future) for name, future in futures.items()}
    ready = all(value == "ok" for value in results.values())
    return {"status": "ok" if ready else "unavailable", "checks": results}, 200 if ready else 503


def init_app(app: Flask) -> None:
    app.extensions.setdefault(READINESS_CHECKS_KEY, {})
    app.extensions[_RUNS_KEY] = _Runs()
    app.register_blueprint(bp)
