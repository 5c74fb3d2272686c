"""Activity: what the system-admin dashboard counts, recorded as daily rollups.

Other code calls one function, :func:`record_activity` (e.g. the data plane, once a run is
created: ``record_activity("run_created", user_id=..., team_id=...)``). Each call is one
indexed upsert into ``activity_daily`` inside the caller's transaction (the caller commits);
database triggers (migration ``e3a9c6d1f248``) add each change of a daily row to
``activity_monthly`` and ``activity_day_totals`` (see :mod:`server.models.activity`) in the
same statement, under the daily row's lock, so concurrent requests count exactly.

``active`` is recorded by :func:`mark_active`, the one function that writes a user's
``last_active_at``: every path that makes someone active (setup, sign-up, invitations, sign-in
and SSO through the console session, console use, API keys and the W&B protocol) goes through
it. It writes at most once a minute per user and counts ``active`` only the first time on a
UTC day, so being active costs no extra write per request: at most one per user and day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, cast, delete, func, insert, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock
from ..extensions import db
from ..models import ActivityDaily, ActivityDayTotal, ActivityMonthly, User
from ..models.activity import NO_TEAM, TEAM_ROW

KINDS = ("active", "login", "run_created")

# last_active_at is written at most this often per user (no write on every request).
ACTIVE_RESOLUTION = timedelta(minutes=1)

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
    ValueError for an unknown kind, a user id or count below 1, or a naive ``at``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown activity kind {kind!r}; expected one of {', '.join(KINDS)}")
    if count < 1 or user_id < 1:
        raise ValueError("user_id and count must be at least 1")
    if at is not None and at.tzinfo is None:
        raise ValueError("give 'at' as an aware datetime (UTC)")
    executor = connection if connection is not None else db.session
    dialect = (connection.dialect if connection is not None else db.session.get_bind().dialect).name
    upsert = _dialect_insert(dialect)
    day = utc_day(at or clock.now())
    team = team_id or NO_TEAM
    rows = [{"kind": kind, "day": day, "user_id": user_id, "team_id": team, "count": count}]
    if team != NO_TEAM:
        rows.append({**rows[0], "user_id": TEAM_ROW})
    executor.execute(_increment(upsert, _DAILY, rows, ("count",)))


def _increment(upsert, table, rows: list[dict], amounts: tuple[str, ...]):
    """Insert ``rows`` or add their ``amounts`` to the existing rows."""
    stmt = upsert(table).values(rows)
    key = [name for name in rows[0] if name not in amounts]
    return stmt.on_conflict_do_update(
        index_elements=key,
        set_={name: table.c[name] + stmt.excluded[name] for name in amounts},
    )


def mark_active(
    user_id: int,
    previous: datetime | None,
    *,
    kind: str = "user",
    now: datetime | None = None,
    connection=None,
) -> datetime | None:
    """The one place a user becomes active: write ``last_active_at`` and count the user
    ``active`` on the UTC day of ``now`` (default: now) unless ``previous`` (the stored
    ``last_active_at``) was already that day. Nothing is written when ``previous`` is less than
    :data:`ACTIVE_RESOLUTION` old. Service accounts get ``last_active_at`` but are not people
    and are not counted. Runs in the caller's transaction (the ORM session, or ``connection``);
    the caller commits. Returns the ``last_active_at`` now stored."""
    now = now or clock.now()
    if previous is not None and now - previous < ACTIVE_RESOLUTION:
        return previous
    executor = connection if connection is not None else db.session
    users = User.__table__
    executor.execute(users.update().where(users.c.id == user_id).values(last_active_at=now))
    if kind != "service_account" and (previous is None or utc_day(previous) != utc_day(now)):
        record_activity("active", user_id=user_id, at=now, connection=connection)
    return now


def mark_user_active(user: User, now: datetime | None = None) -> None:
    """:func:`mark_active` for a loaded ``User`` (keeps the loaded object in step)."""
    stored = mark_active(user.id, user.last_active_at, kind=user.kind, now=now)
    set_committed_value(user, "last_active_at", stored)


def note_sign_in(user: User, now: datetime | None = None) -> None:
    """A successful sign-in (password, SSO): count a login and make the user active."""
    now = now or clock.now()
    record_activity("login", user_id=user.id, at=now)
    mark_user_active(user, now)


def active_days(user_id: int, since: date) -> list[date]:
    """The UTC days since ``since`` on which the user was active, newest first."""
    return list(
        db.session.scalars(
            select(_DAILY.c.day)
            .where(
                _DAILY.c.kind == "active",
                _DAILY.c.user_id == user_id,
                _DAILY.c.team_id == NO_TEAM,
                _DAILY.c.day >= since,
            )
            .order_by(_DAILY.c.day.desc())
        )
    )


# -- retention and repair -------------------------------------------------------------------


def prune_activity(cutoff: date) -> int:
    """Delete rollups of days before ``cutoff`` (monthly rows once their whole month is before
    it), one (kind, day) or (kind, month) slice per transaction, oldest first. Returns the
    number of rows deleted."""
    deleted = 0
    for kind in _stored_kinds():
        deleted += _delete_slices(_DAILY, _DAILY.c.day, kind, cutoff)
        deleted += _delete_slices(_MONTHLY, _MONTHLY.c.month, kind, month_start(cutoff))
    result = db.session.execute(delete(_TOTALS).where(_TOTALS.c.day < cutoff))
    db.session.commit()
    return deleted + result.rowcount


def _stored_kinds() -> set[str]:
    """Every kind with rows, also ones this version no longer records (from the small totals
    table, which has a row for every kind and day in the rollups)."""
    return set(KINDS) | set(db.session.scalars(select(_TOTALS.c.kind).distinct()))


def _delete_slices(table, period, kind: str, cutoff: date) -> int:
    """Delete the oldest (kind, period) slice until none is older than ``cutoff``; each slice
    is a primary-key range, at most one row per user and team."""
    deleted = 0
    while True:
        oldest = db.session.scalar(select(func.min(period)).where(table.c.kind == kind))
        if oldest is None or oldest >= cutoff:
            return deleted
        result = db.session.execute(delete(table).where(table.c.kind == kind, period == oldest))
        db.session.commit()
        deleted += result.rowcount


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
    per_day = (
        select(_DAILY.c.kind, _DAILY.c.day, func.count(), func.sum(_DAILY.c.count))
        .where(_DAILY.c.user_id != TEAM_ROW)
        .group_by(_DAILY.c.kind, _DAILY.c.day)
    )
    db.session.execute(insert(_TOTALS).from_select(["kind", "day", "users", "count"], per_day))
    columns = (_DAILY.c.kind, month, _DAILY.c.user_id, _DAILY.c.team_id)
    per_month = select(*columns, func.count(), func.sum(_DAILY.c.count)).group_by(*columns)
    db.session.execute(
        insert(_MONTHLY).from_select(
            ["kind", "month", "user_id", "team_id", "days", "count"], per_month
        )
    )
    db.session.commit()
