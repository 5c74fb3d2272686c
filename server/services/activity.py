"""Activity: what the system-admin dashboard counts, recorded as daily rollups.

Other code calls one function, :func:`record_activity` (e.g. the data plane, once a run is
created: ``record_activity("run_created", user_id=..., team_id=...)``). Each call is a few
indexed upserts into ``activity_daily``, ``activity_monthly`` and ``activity_day_totals``
(see :mod:`server.models.activity`), inside the caller's transaction; the caller commits.

``active`` is recorded where ``last_active_at`` is already written (API-key authentication
and sign-in), and only the first time on a UTC day, so being active costs no extra write per
request: at most one per user and day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Date, cast, delete, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import clock
from ..extensions import db
from ..models import ActivityDaily, ActivityDayTotal, ActivityMonthly
from ..models.activity import NO_TEAM

KINDS = ("active", "login", "run_created")

_DAILY = ActivityDaily.__table__
_MONTHLY = ActivityMonthly.__table__
_TOTALS = ActivityDayTotal.__table__
_DIALECT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def _dialect_insert(dialect: str):
    try:
        return _DIALECT_INSERT[dialect]
    except KeyError:
        raise RuntimeError(f"activity rollups need SQLite or PostgreSQL, not {dialect}") from None


def record_activity(
    kind: str,
    *,
    user_id: int,
    team_id: int | None = None,
    at: datetime | None = None,
    count: int = 1,
    connection=None,
) -> None:
    """Count ``count`` occurrences of ``kind`` by ``user_id`` (in ``team_id``) on the UTC day of
    ``at`` (default: now).

    Runs in the caller's transaction (the ORM session, or ``connection`` when given); the
    caller commits. Concurrent calls for the same key are safe on both databases. Raises
    ValueError for an unknown kind, a count below 1 or a naive ``at``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown activity kind {kind!r}; expected one of {', '.join(KINDS)}")
    if count < 1:
        raise ValueError("count must be at least 1")
    if at is not None and at.tzinfo is None:
        raise ValueError("give 'at' as an aware datetime (UTC)")
    executor = connection if connection is not None else db.session
    dialect = (connection.dialect if connection is not None else db.session.get_bind().dialect).name
    upsert = _dialect_insert(dialect)
    day = utc_day(at or clock.now())
    key = {"kind": kind, "day": day, "user_id": user_id, "team_id": team_id or NO_TEAM}

    first = (
        upsert(_DAILY)
        .values(**key, count=count)
        .on_conflict_do_nothing(index_elements=["kind", "day", "user_id", "team_id"])
    )
    # RETURNING says whether this call made the row (rowcount is not reliable for this).
    new_row = executor.execute(first.returning(_DAILY.c.id)).first() is not None
    if not new_row:
        match = [_DAILY.c[name] == value for name, value in key.items()]
        executor.execute(update(_DAILY).where(*match).values(count=_DAILY.c.count + count))
    monthly = {**key, "month": month_start(day)}
    del monthly["day"]
    executor.execute(_increment(upsert, _MONTHLY, monthly, {"days": int(new_row), "count": count}))
    executor.execute(
        _increment(
            upsert, _TOTALS, {"kind": kind, "day": day}, {"users": int(new_row), "count": count}
        )
    )


def _increment(upsert, table, key: dict, amounts: dict):
    stmt = upsert(table).values(**key, **amounts)
    return stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={name: table.c[name] + stmt.excluded[name] for name in amounts},
    )


def note_active(
    user_id: int, previous: datetime | None, now: datetime, *, kind: str = "user", connection=None
) -> None:
    """Hook for the places that write ``last_active_at``: count the user active on ``now``'s
    UTC day unless ``previous`` (the value being replaced) was already that day. Service
    accounts are not people and are not counted as active users."""
    if kind == "service_account":
        return
    if previous is not None and utc_day(previous) == utc_day(now):
        return
    record_activity("active", user_id=user_id, at=now, connection=connection)


def note_sign_in(user, now: datetime) -> None:
    """Hook for a successful console sign-in (call before ``last_active_at`` is replaced)."""
    record_activity("login", user_id=user.id, at=now)
    note_active(user.id, user.last_active_at, now, kind=user.kind)


# -- retention and repair -------------------------------------------------------------------


def prune_activity(cutoff: date, *, batch_size: int = 5000) -> int:
    """Delete rollups of days before ``cutoff`` (monthly rows once their whole month is before
    it), committing every ``batch_size`` rows. Returns the number of rows deleted."""
    deleted = delete_in_batches(_DAILY, _DAILY.c.day < cutoff, batch_size)
    deleted += delete_in_batches(_MONTHLY, _MONTHLY.c.month < month_start(cutoff), batch_size)
    result = db.session.execute(delete(_TOTALS).where(_TOTALS.c.day < cutoff))
    db.session.commit()
    return deleted + result.rowcount


def count_prunable(cutoff: date) -> int:
    """How many rollup rows :func:`prune_activity` would delete."""
    total = 0
    for table, condition in (
        (_DAILY, _DAILY.c.day < cutoff),
        (_MONTHLY, _MONTHLY.c.month < month_start(cutoff)),
        (_TOTALS, _TOTALS.c.day < cutoff),
    ):
        total += db.session.scalar(select(func.count()).select_from(table).where(condition))
    return total


def delete_in_batches(table, condition, batch_size: int) -> int:
    """``DELETE ... WHERE condition`` in transactions of at most ``batch_size`` rows (by id),
    so retention never holds long locks or one huge transaction."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ids = table.c.id
    total = 0
    while True:
        batch = select(ids).where(condition).limit(batch_size).scalar_subquery()
        done = db.session.execute(delete(table).where(ids.in_(batch))).rowcount
        db.session.commit()
        total += done
        if done < batch_size:
            return total


def rebuild_summaries() -> None:
    """Recompute the monthly rollups and daily totals from ``activity_daily`` (after rows were
    loaded or restored by hand). Incremental recording keeps them equal to this."""
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        month = cast(func.date_trunc("month", _DAILY.c.day), Date)
    else:
        month = func.date(_DAILY.c.day, literal("start of month"))
    db.session.execute(delete(_MONTHLY))
    db.session.execute(delete(_TOTALS))
    per_day = select(_DAILY.c.kind, _DAILY.c.day, func.count(), func.sum(_DAILY.c.count)).group_by(
        _DAILY.c.kind, _DAILY.c.day
    )
    db.session.execute(insert(_TOTALS).from_select(["kind", "day", "users", "count"], per_day))
    per_month = select(
        _DAILY.c.kind,
        month,
        _DAILY.c.user_id,
        _DAILY.c.team_id,
        func.count(),
        func.sum(_DAILY.c.count),
    ).group_by(_DAILY.c.kind, month, _DAILY.c.user_id, _DAILY.c.team_id)
    db.session.execute(
        insert(_MONTHLY).from_select(
            ["kind", "month", "user_id", "team_id", "days", "count"], per_month
        )
    )
    db.session.commit()
