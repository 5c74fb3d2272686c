"""The runs table of a project: filters (state, user, tag, group, name search), a sort on a
column or a summary metric, and keyset pagination on ``(sort value, id)``.

A page costs one query (runs with their creator, sender and sweep joined) however the runs
are filtered; the cursor codec is the one every list uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, exists, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from ..api.pagination import Page, decode_cursor, encode_cursor
from ..errors import ValidationFailed
from ..extensions import db
from ..models import Project, Run, User
from .run_queries import attach_project, runs_query

SORT_COLUMNS = {"created": Run.created_at, "name": Run.name, "state": Run.state}
METRIC_PREFIX = "summary:"
MAX_METRIC_COLUMNS = 8
NULL_LAST = 1e308  # a metric-less run sorts after every number, in either direction


@dataclass
class RunFilters:
    state: str | None = None
    user: str | None = None
    tag: str | None = None
    group: str | None = None
    search: str | None = None
    sort: str = "created"  # a key of SORT_COLUMNS, or "summary:<metric>"
    descending: bool = True
    columns: list[str] = field(default_factory=list)  # summary metrics shown as columns

    def __post_init__(self) -> None:
        if self.sort not in SORT_COLUMNS and not _metric_name(self.sort):
            raise ValidationFailed(f"Runs cannot be sorted by {self.sort!r}.", code="invalid_sort")


def _metric_name(sort: str) -> str | None:
    if not sort.startswith(METRIC_PREFIX):
        return None
    name = sort[len(METRIC_PREFIX) :]
    return name if name and '"' not in name and "\\" not in name else None


def summary_number(key: str):
    """The summary value ``key`` of a run as a float, NULL when missing or not a number."""
    if db.engine.dialect.name == "postgresql":
        value = Run.summary.op("->")(key)
        return case(
            (func.json_typeof(value) == "number", cast(Run.summary.op("->>")(key), Float)),
            else_=None,
        )
    path = f'$."{key}"'
    numeric = func.json_type(Run.summary, path).in_(("integer", "real"))
    return case((numeric, func.json_extract(Run.summary, path)), else_=None)


def has_tag(tag: str):
    """Runs whose tag list holds exactly ``tag``."""
    if db.engine.dialect.name == "postgresql":
        return cast(Run.tags, JSONB).contains([tag])
    each = func.json_each(Run.tags).table_valued("value")
    return exists(select(literal_column("1")).select_from(each).where(each.c.value == tag))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(project: Project, filters: RunFilters):
    stmt = runs_query(project, state=filters.state or None, group=filters.group or None)
    if filters.user:
        owner = select(User.id).where(User.username == filters.user).scalar_subquery()
        stmt = stmt.where(Run.created_by_id == owner)
    if filters.tag:
        stmt = stmt.where(has_tag(filters.tag))
    if filters.search:
        pattern = f"%{_escape_like(filters.search.strip())}%"
        stmt = stmt.where(
            or_(Run.name.ilike(pattern, escape="\\"), Run.run_id.ilike(pattern, escape="\\"))
        )
    return stmt


def _sort_key(filters: RunFilters):
    metric = _metric_name(filters.sort)
    if metric is None:
        return SORT_COLUMNS[filters.sort]
    fallback = -NULL_LAST if filters.descending else NULL_LAST
    return func.coalesce(summary_number(metric), fallback)


def _position(filters: RunFilters, run: Run, key) -> list[Any]:
    metric = _metric_name(filters.sort)
    if metric is None:
        value = getattr(run, SORT_COLUMNS[filters.sort].key)
        return [value.isoformat() if isinstance(value, datetime) else value, run.id]
    value = (run.summary or {}).get(metric)
    if type(value) not in (int, float):
        value = -NULL_LAST if filters.descending else NULL_LAST
    return [float(value), run.id]


def _after(filters: RunFilters, key, cursor: str):
    """The keyset condition: rows strictly after the cursor's ``(value, id)``."""
    position = decode_cursor(cursor)
    if not (isinstance(position, list) and len(position) == 2 and type(position[1]) is int):
        raise ValidationFailed("The cursor is not valid.", code="invalid_cursor")
    value, last_id = position
    try:
        if filters.sort == "created":
            value = datetime.fromisoformat(value)
        elif _metric_name(filters.sort):
            value = float(value)
        elif not isinstance(value, str):
            raise TypeError
    except (TypeError, ValueError):
        raise ValidationFailed("The cursor is not valid.", code="invalid_cursor") from None
    # The outer bound on the key alone lets the planner seek into the (project, key, id) index.
    if filters.descending:
        return and_(key <= value, or_(key < value, Run.id < last_id))
    return and_(key >= value, or_(key > value, Run.id > last_id))


def run_table_page(
    project: Project, filters: RunFilters, *, cursor: str | None, limit: int
) -> Page:
    """One page of the project's runs, filtered and sorted; ``next_cursor`` continues it.

    Raises ValidationFailed (``invalid_sort``, ``invalid_cursor``)."""
    key = _sort_key(filters)
    stmt = _filtered(project, filters)
    if cursor:
        stmt = stmt.where(_after(filters, key, cursor))
    order = (key.desc(), Run.id.desc()) if filters.descending else (key.asc(), Run.id.asc())
    rows = list(db.session.scalars(stmt.order_by(*order).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = attach_project(rows[:limit], project)
    next_cursor = encode_cursor(_position(filters, rows[-1], key)) if more and rows else None
    return Page(items=rows, next_cursor=next_cursor)


def metric_names(runs: list[Run], limit: int = 50) -> list[str]:
    """Numeric summary metrics of ``runs`` (the page shown), to offer as columns."""
    names: dict[str, None] = {}
    for run in runs:
        for name, value in (run.summary or {}).items():
            if type(value) in (int, float) and not name.startswith("_"):
                names.setdefault(name, None)
    return sorted(names)[:limit]


def runs_by_ids(project: Project, run_ids: list[str]) -> list[Run]:
    """The named runs of ``project`` (unknown ids are left out), in the order given."""
    if not run_ids:
        return []
    found = {
        run.run_id: run
        for run in db.session.scalars(runs_query(project).where(Run.run_id.in_(run_ids))).unique()
    }
    return attach_project([found[r] for r in dict.fromkeys(run_ids) if r in found], project)
