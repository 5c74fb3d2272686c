"""Reading the audit log: filters, cursor pages, streamed exports and retention.

Pages are ordered newest first by ``(created_at, id)`` and continue from an opaque cursor with
an indexed range condition, so page 1000 costs what page 1 costs. Exports walk the same order
in batches, so memory stays flat however many events match. (Writing events is
:mod:`server.services.audit`.)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, text, union_all

from ..api.pagination import decode_cursor, encode_cursor
from ..api.serializers import iso
from ..errors import ValidationFailed
from ..extensions import db
from ..models import AuditEvent, Team, User

RESULTS = ("success", "failure")
FILTER_NAMES = ("from", "to", "actor", "action", "team", "result")
EXPORT_FORMATS = ("ndjson", "csv")
EXPORT_BATCH = 1000
COLUMNS = (
    "id",
    "created_at",
    "actor",
    "actor_ip",
    "action",
    "target_type",
    "target_id",
    "target_name",
    "team",
    "result",
    "details",
)
_EVENTS = AuditEvent.__table__
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditFilter:
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    actor: str = ""
    action: str = ""
    team: str = ""
    result: str = ""
    params: dict[str, str] = field(default_factory=dict)  # the filters as given, for links

    @property
    def action_prefix(self) -> str | None:
        """``team:`` or ``team:*`` select every action starting with ``team:``."""
        if self.action.endswith("*"):
            return self.action[:-1]
        return self.action if self.action.endswith(":") else None


def _instant(value: str, name: str, *, end: bool) -> datetime | None:
    """An ISO date (a whole UTC day) or date-time (UTC unless it names an offset)."""
    value = value.strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
        if day is not None:
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(value)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        # A date-time 'to' includes that instant.
        return moment + timedelta(microseconds=1) if end else moment
    except OverflowError:
        return None  # at the very edge of the calendar: no bound on that side
    except ValueError:
        raise ValidationFailed(
            f"'{name}' must be an ISO date (2026-01-31) or date-time (2026-01-31T09:30:00Z), "
            f"not {value[:40]!r}.",
            code="invalid_date",
            field=name,
        ) from None


def parse_filters(raw: Mapping[str, Any]) -> AuditFilter:
    """Check the filters of a request (``from``, ``to``, ``actor``, ``action``, ``team``,
    ``result``). Raises ValidationFailed with ``invalid_date``, ``invalid_range``,
    ``invalid_filter`` or ``invalid_result``."""
    given = {name: str(raw.get(name) or "").strip() for name in FILTER_NAMES}
    start = _instant(given["from"], "from", end=False)
    end = _instant(given["to"], "to", end=True)
    if start and end and start >= end:
        raise ValidationFailed("'from' must be before 'to'.", code="invalid_range")
    for name, longest in (("actor", 254), ("action", 64), ("team", 64)):
        if len(given[name]) > longest:
            raise ValidationFailed(
                f"'{name}' is longer than {longest} characters.", code="invalid_filter", field=name
            )
    if given["result"] and given["result"] not in RESULTS:
        raise ValidationFailed(
            f"'result' must be one of {', '.join(RESULTS)}.", code="invalid_result"
        )
    return AuditFilter(
        start=start,
        end=end,
        actor=given["actor"],
        action=given["action"],
        team=given["team"].lower(),
        result=given["result"],
        params={name: value for name, value in given.items() if value},
    )


@dataclass(frozen=True)
class _Selection:
    """SQL conditions, and the actions asked for (None: any action)."""

    conditions: tuple = ()
    actions: tuple[str, ...] | None = None

    def plus(self, extra: list) -> _Selection:
        return _Selection(self.conditions + tuple(extra), self.actions)


_DISTINCT_ACTIONS = text(
    """
    WITH RECURSIVE found(action) AS (
        SELECT MIN(action) FROM audit_events
        UNION ALL
        SELECT (SELECT MIN(e.action) FROM audit_events e WHERE e.action > found.action)
        FROM found WHERE found.action IS NOT NULL
    )
    SELECT action FROM found WHERE action IS NOT NULL
    """
)


def known_actions() -> list[str]:
    """Every action the log holds, sorted (one index probe per distinct action)."""
    return sorted(db.session.scalars(_DISTINCT_ACTIONS))


def _actions_with_prefix(prefix: str) -> tuple[str, ...]:
    """The recorded actions starting with ``prefix``, found by hopping along the action index
    (one probe per distinct action, a few dozen), so a rare prefix never scans the log."""
    return tuple(a for a in db.session.scalars(_DISTINCT_ACTIONS) if a.startswith(prefix))


def _selection(f: AuditFilter) -> _Selection:
    """What ``f`` selects. Usernames and team names resolve to ids (indexed columns); an
    actor that is no user (``cli``, a mistyped sign-in name) matches the recorded name.
    Raises ValidationFailed (``unknown_team``)."""
    e = _EVENTS.c
    conditions = []
    if f.start:
        conditions.append(e.created_at >= f.start)
    if f.end:
        conditions.append(e.created_at < f.end)
    if f.actor:
        user_id = db.session.scalar(select(User.id).where(User.username == f.actor.lower()))
        conditions.append(e.actor_id == user_id if user_id is not None else e.actor_name == f.actor)
    if f.team:
        team_id = db.session.scalar(select(Team.id).where(Team.slug == f.team))
        if team_id is None:
            raise ValidationFailed(f"No team named {f.team!r}.", code="unknown_team")
        conditions.append(e.team_id == team_id)
    if f.result:
        conditions.append(e.result == f.result)
    prefix = f.action_prefix
    actions = _actions_with_prefix(prefix) if prefix else (f.action,) if f.action else None
    return _Selection(tuple(conditions), actions)


def _after(cursor_value: Any) -> list:
    """The keyset condition 'older than the cursor's (created_at, id)'."""
    try:
        created, event_id = cursor_value
        created = datetime.fromisoformat(created)
        # What _cursor_of wrote: an aware time and an id the 32-bit id column can hold.
        if created.tzinfo is None or type(event_id) is not int or not 0 < event_id < 2**31:
            raise ValueError(cursor_value)
    except (TypeError, ValueError):
        raise ValidationFailed("The cursor is not valid.", code="invalid_cursor") from None
    e = _EVENTS.c
    # The first condition alone is the index range; the second breaks ties inside it.
    return [e.created_at <= created, or_(e.created_at < created, e.id < event_id)]


def _statement(selection: _Selection, limit: int):
    """Newest first. With several actions, each action's newest rows come from the action
    index and are merged, so a rare action family is as quick as a common one."""
    e = _EVENTS.c
    order = (e.created_at.desc(), e.id.desc())
    base = select(_EVENTS).where(*selection.conditions)
    if selection.actions is None:
        return base.order_by(*order).limit(limit)
    if len(selection.actions) == 1:
        return base.where(e.action == selection.actions[0]).order_by(*order).limit(limit)
    parts = [
        select(base.where(e.action == action).order_by(*order).limit(limit).subquery())
        for action in selection.actions
    ]
    merged = union_all(*parts).subquery()
    return select(merged).order_by(merged.c.created_at.desc(), merged.c.id.desc()).limit(limit)


def _rows(selection: _Selection, limit: int) -> list[dict[str, Any]]:
    if selection.actions == ():
        return []  # a prefix no recorded action has
    result = db.session.execute(_statement(selection, limit)).mappings()
    rows = [dict(row) for row in result]
    team_ids = {row["team_id"] for row in rows if row["team_id"] is not None}
    slugs = {}
    if team_ids:
        slugs = dict(
            db.session.execute(select(Team.id, Team.slug).where(Team.id.in_(team_ids))).all()
        )
    return [_event_dict(row, slugs) for row in rows]


def _event_dict(row: Mapping[str, Any], slugs: dict[int, str]) -> dict[str, Any]:
    team_id = row["team_id"]
    return {
        "id": row["id"],
        "created_at": iso(row["created_at"]),
        "actor": row["actor_name"],
        "actor_ip": row["actor_ip"],
        "action": row["action"],
        "target_type": row["target_type"],
        "target_id": row["target_id"],
        "target_name": row["target_name"],
        "team": slugs.get(team_id, f"#{team_id}") if team_id is not None else None,
        "result": row["result"],
        "details": row["details"] or {},
    }


def _cursor_of(event: dict[str, Any]) -> str:
    return encode_cursor([event["created_at"], event["id"]])


def list_events(
    f: AuditFilter, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of matching events, newest first, and the cursor of the next page (or None).
    Raises ValidationFailed (``invalid_cursor``, ``unknown_team``)."""
    selection = _selection(f)
    if cursor:
        selection = selection.plus(_after(decode_cursor(cursor)))
    events = _rows(selection, limit + 1)
    more = len(events) > limit
    events = events[:limit]
    return events, (_cursor_of(events[-1]) if more and events else None)


def iter_events(f: AuditFilter, *, batch: int | None = None) -> Iterator[dict[str, Any]]:
    """Every matching event, newest first, read ``batch`` rows (default EXPORT_BATCH) at a
    time. The filters are resolved (and refused) on the call, before the first event is read."""
    return _walk(_selection(f), batch or EXPORT_BATCH)


def _walk(selection: _Selection, batch: int) -> Iterator[dict[str, Any]]:
    after: list = []
    while True:
        events = _rows(selection.plus(after), batch)
        yield from events
        if len(events) < batch:
            return
        last = events[-1]
        after = _after([last["created_at"], last["id"]])


def _csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas (a cell starting with '=' or '+' would run as one)."""
    if isinstance(value, dict):
        value = json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_lines(f: AuditFilter, fmt: str) -> Iterator[str]:
    """The export as text chunks: one JSON object per line (NDJSON) or CSV with a header.
    Raises ValidationFailed on the call (bad format, unknown team), never while streaming."""
    fmt = check_export_format(fmt)
    events = iter_events(f)
    return _ndjson(events) if fmt == "ndjson" else _csv(events)


def _ndjson(events: Iterator[dict[str, Any]]) -> Iterator[str]:
    for event in events:
        yield json.dumps(event) + "\n"


def _csv(events: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for n, event in enumerate(events, 1):
        writer.writerow([_csv_cell(event[name]) for name in COLUMNS])
        if n % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def check_export_format(fmt: str | None) -> str:
    fmt = (fmt or "ndjson").strip().lower()
    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed(
            f"'format' must be one of {', '.join(EXPORT_FORMATS)}.", code="invalid_format"
        )
    return fmt


def prune_audit_events(cutoff: datetime, *, batch_size: int = 5000) -> int:
    """Delete events recorded before ``cutoff``, ``batch_size`` per transaction."""
    return _delete_in_batches(_EVENTS, _EVENTS.c.created_at < cutoff, batch_size)


def count_prunable_audit_events(cutoff: datetime) -> int:
    return db.session.scalar(
        select(func.count()).select_from(_EVENTS).where(_EVENTS.c.created_at < cutoff)
    )


def _delete_in_batches(table, condition, batch_size: int) -> int:
    """``DELETE ... WHERE condition`` in transactions of at most ``batch_size`` rows (by the
    ``id`` column), so retention never holds long locks or one huge transaction."""
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
