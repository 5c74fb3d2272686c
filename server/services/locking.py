"""Row locks for read-modify-write and count-then-change rules, the same on both databases.

A rule such as "a team keeps one admin" or "merge these keys into the stored summary" reads
rows and then writes on what it read; two requests doing it at once must not both act on the
same reading. On PostgreSQL the rows are read with ``SELECT ... FOR UPDATE`` (a concurrent
request waits, then reads what the first one committed). SQLite has no row locks: there the
transaction first takes the database's write lock with a write that changes nothing, so every
later read in it sees the latest committed data and no other writer can commit until it ends.
The Python ``sqlite3`` driver opens a transaction only for a write, so reads done before that
are outside it: call these helpers before reading what the rule depends on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, false, update
from sqlalchemy.sql import Select

from ..extensions import db


def _on_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _take_sqlite_write_lock(table: Table) -> None:
    first_column = next(iter(table.primary_key.columns))
    db.session.execute(update(table).where(false()).values({first_column.name: first_column}))


def lock_rows(stmt: Select) -> list[Any]:
    """Run ``stmt`` (a select of one table's rows) with the rows locked until the transaction
    ends; returns the rows' first column (usually their ids)."""
    if _on_sqlite():
        table = stmt.get_final_froms()[0]
        _take_sqlite_write_lock(table)
        return list(db.session.scalars(stmt))
    return list(db.session.scalars(stmt.with_for_update()))


def refresh_locked(instance: Any, attribute_names: list[str] | None = None) -> None:
    """Re-read ``instance`` from its row (the named attributes, or all of its columns) and keep
    the row locked until the transaction ends. Call it before changing the instance: pending
    changes to the refreshed attributes are discarded."""
    if _on_sqlite():
        _take_sqlite_write_lock(type(instance).__table__)
        db.session.refresh(instance, attribute_names)
    else:
        db.session.refresh(instance, attribute_names, with_for_update=True)


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds: for a change whose new values the
    instances already hold (set after a write that is known to have succeeded), so the
    response is built without reading them back."""
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
