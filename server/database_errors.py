"""What a database error means for an operator: a read-only database, a busy SQLite file.

Shared by the error handler (a clear 503 instead of a 500) and ``/readyz``.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

SQLITE_BUSY, SQLITE_READONLY = 5, 8
PG_READ_ONLY_TRANSACTION = "25006"

READ_ONLY_MESSAGE = (
    "The database is read-only, so nothing can be saved. SQLite: make the database file and "
    "its directory writable by the server's user (and not opened with mode=ro). PostgreSQL: "
    "point OUTPOST_DATABASE_URL at the primary, not a replica, and check "
    "default_transaction_read_only."
)
BUSY_MESSAGE = (
    "The database stayed locked by other writers longer than the busy timeout "
    "(OUTPOST_SQLITE_BUSY_TIMEOUT_MS). Try again; if it happens often, move to PostgreSQL."
)


def database_problem(exc: BaseException) -> str | None:
    """``"read_only"``, ``"busy"`` or None (another error) for a SQLAlchemy/DB-API error."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        primary = sqlite_code & 0xFF
        if primary == SQLITE_READONLY:
            return "read_only"
        if primary == SQLITE_BUSY:
            return "busy"
        return None
    if getattr(orig, "sqlstate", None) == PG_READ_ONLY_TRANSACTION:
        return "read_only"
    return None
