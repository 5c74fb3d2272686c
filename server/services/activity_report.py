"""The activity dashboard's figures, read from rollups and small tables only.

A dashboard costs the same handful of queries whatever the data: daily totals for the charts
(one row per kind and day), one distinct count over at most 30 days of daily rows for WAU/MAU,
a grouped count of users, the license, the cached storage table, and two "most active"
queries that read whole months from the monthly rollup and only a few edge days from the
daily one (see :func:`period_plan`); teams are ranked from their team rows. Days are UTC days.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, desc, distinct, func, literal, or_, select, union_all

from .. import clock
from ..errors import ValidationFailed
from ..extensions import db
from ..models import ActivityDaily, ActivityDayTotal, ActivityMonthly, Team, User
from ..models.activity import NO_TEAM, TEAM_ROW
from .activity import month_start, utc_day

PERIODS = {
    "30d": "Last 30 days",
    "3m": "Last 3 months",
    "6m": "Last 6 months",
    "12m": "Last 12 months",
    "all": "All time",
}
DEFAULT_PERIOD = "30d"
TOP_N = 10
_MONTHS = {"3m": 3, "6m": 6, "12m": 12}


@dataclass
class Ranked:
    name: str  # username or team slug
    display_name: str
    value: int


@dataclass
class Dashboard:
    period: str
    start: date
    end: date
    earliest: date | None
    dau: int
    wau: int
    mau: int
    active_users: list[tuple[date, int]]
    runs_created: list[tuple[date, int]]
    sign_ins: list[tuple[date, int]]
    users_by_state: dict[str, dict[str, int]]
    service_accounts: int
    seats_used: int
    seats_licensed: int | None
    storage: Any
    top_users: list[Ranked] = field(default_factory=list)
    top_teams: list[Ranked] = field(default_factory=list)
    retention_days: int = 0

    @property
    def period_label(self) -> str:
        return PERIODS[self.period]

    def to_dict(self) -> dict[str, Any]:
        series = lambda points, name: [{"day": d.isoformat(), name: v} for d, v in points]  # noqa: E731
        return {
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "data_since": self.earliest.isoformat() if self.earliest else None,
            "retention_days": self.retention_days,
            "active": {"dau": self.dau, "wau": self.wau, "mau": self.mau},
            "active_users": series(self.active_users, "users"),
            "runs_created": series(self.runs_created, "runs"),
            "sign_ins": series(self.sign_ins, "sign_ins"),
            "users_by_state": self.users_by_state,
            "service_accounts": self.service_accounts,
            "seats": {"used": self.seats_used, "licensed": self.seats_licensed},
            "storage": self.storage.to_dict(),
            "top_users": [
                {"username": r.name, "display_name": r.display_name, "active_days": r.value}
                for r in self.top_users
            ],
            "top_teams": [
                {"team": r.name, "display_name": r.display_name, "runs_created": r.value}
                for r in self.top_teams
            ],
        }


def parse_period(value: str | None) -> str:
    """The period key; ValidationFailed (``invalid_period``) for anything else."""
    period = (value or DEFAULT_PERIOD).strip().lower()
    if period not in PERIODS:
        raise ValidationFailed(
            f"Unknown period {value!r}; use one of {', '.join(PERIODS)}.",
            code="invalid_period",
            choices=list(PERIODS),
        )
    return period


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def period_start(period: str, today: date, earliest: date | None) -> date:
    if period == "30d":
        return today - timedelta(days=29)
    if period == "all":
        floor = today - timedelta(days=29)
        return min(earliest, floor) if earliest else floor
    return months_before(today, _MONTHS[period]) + timedelta(days=1)


def build_dashboard(period: str = DEFAULT_PERIOD) -> Dashboard:
    """Every figure of the dashboard for ``period`` (a key of PERIODS)."""
    from .storage_usage import storage_summary
    from .system_settings import get_setting

    period = parse_period(period)
    today = utc_day(clock.now())
    earliest = db.session.scalar(select(func.min(ActivityDayTotal.day)))
    start = period_start(period, today, earliest)
    daily = _daily_series(start, today)
    dau, wau, mau = _rolling_active(today, daily["active"])
    people, service_accounts, seats_used = _users_by_state()
    return Dashboard(
        period=period,
        start=start,
        end=today,
        earliest=earliest,
        dau=dau,
        wau=wau,
        mau=mau,
        active_users=daily["active"],
        runs_created=daily["run_created"],
        sign_ins=daily["login"],
        users_by_state=people,
        service_accounts=service_accounts,
        seats_used=seats_used,
        seats_licensed=_seat_limit(),
        storage=storage_summary(TOP_N),
        top_users=_top_users(start, today),
        top_teams=_top_teams(start, today),
        retention_days=get_setting("activity_retention_days"),
    )


def _daily_series(start: date, end: date) -> dict[str, list[tuple[date, int]]]:
    """Per kind, one point per day from ``start`` to ``end`` (zero where nothing happened):
    distinct users for ``active``, counts for the others."""
    t = ActivityDayTotal
    rows = db.session.execute(
        select(t.kind, t.day, t.users, t.count).where(
            t.day >= start, t.day <= end, t.kind.in_(("active", "login", "run_created"))
        )
    ).all()
    found: dict[str, dict[date, int]] = {"active": {}, "login": {}, "run_created": {}}
    for kind, day, users, count in rows:
        found[kind][day] = users if kind == "active" else count
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return {kind: [(d, values.get(d, 0)) for d in days] for kind, values in found.items()}


def _rolling_active(today: date, active: list[tuple[date, int]]) -> tuple[int, int, int]:
    """DAU (today), WAU (7 days) and MAU (30 days), counting each user once per window."""
    d = ActivityDaily
    week = today - timedelta(days=6)
    wau, mau = db.session.execute(
        select(
            func.count(distinct(case((d.day >= week, d.user_id)))),
            func.count(distinct(d.user_id)),
        ).where(
            d.kind == "active",
            d.day >= today - timedelta(days=29),
            d.day <= today,
            d.user_id != TEAM_ROW,
        )
    ).one()
    dau = active[-1][1] if active else 0
    return dau, wau or 0, mau or 0


def _users_by_state() -> tuple[dict[str, dict[str, int]], int, int]:
    rows = db.session.execute(
        select(User.kind, User.state, User.seat_type, func.count()).group_by(
            User.kind, User.state, User.seat_type
        )
    ).all()
    people = {state: {"full": 0, "viewer": 0} for state in ("active", "invited", "deactivated")}
    service_accounts = 0
    for kind, state, seat_type, n in rows:
        if kind == "service_account":
            service_accounts += n
        else:
            people.setdefault(state, {"full": 0, "viewer": 0})[seat_type] = n
    return people, service_accounts, people["active"]["full"]


def _seat_limit() -> int | None:
    from .licensing import seat_limit

    return seat_limit()


@dataclass(frozen=True)
class PeriodPlan:
    """How to sum a period from the rollups: whole months (``months``, first and last, or
    None), plus the daily rows of ``add`` ranges, minus those of ``subtract`` ranges."""

    months: tuple[date, date] | None
    add: tuple[tuple[date, date], ...]
    subtract: tuple[tuple[date, date], ...]


def period_plan(start: date, end: date) -> PeriodPlan:
    """Read each partial month at the edges the cheaper way: its days inside the period, or
    its monthly row minus the days outside. Days after ``end`` (today) cost nothing: they
    normally have no rows yet, so the current month is always its monthly row."""
    months, add, subtract = [], [], []
    month = month_start(start)
    while month <= end:
        last = _month_end(month)
        first_in, last_in = max(start, month), min(end, last)
        inside = (last_in - first_in).days + 1
        outside = (first_in - month).days  # days before the period; the ones after are free
        if outside < inside:
            months.append(month)
            if first_in > month:
                subtract.append((month, first_in - timedelta(days=1)))
            if last_in < last:
                subtract.append((last_in + timedelta(days=1), last))
        else:
            add.append((first_in, last_in))
        month = _next_month(month)
    span = (months[0], months[-1]) if months else None
    return PeriodPlan(span, tuple(add), tuple(subtract))


def _period_rows(kind: str, start: date, end: date, key, daily_value, monthly_value, scope):
    """Rows (key, value) whose sum per key is the period's total (see :func:`period_plan`).
    ``scope`` picks user or team rows."""
    d, m = ActivityDaily, ActivityMonthly
    plan = period_plan(start, end)
    parts = []
    if plan.months:
        parts.append(
            select(key(m).label("key"), monthly_value(m).label("value")).where(
                m.kind == kind, m.month.between(*plan.months), scope(m)
            )
        )
    for ranges, sign in ((plan.add, 1), (plan.subtract, -1)):
        if ranges:
            value = daily_value(d) if sign > 0 else -daily_value(d)
            parts.append(
                select(key(d).label("key"), value.label("value")).where(
                    d.kind == kind, or_(*(d.day.between(a, b) for a, b in ranges)), scope(d)
                )
            )
    return union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()


def _ranked(kind, start, end, key, daily_value, monthly_value, scope, model, name_col, label_col):
    rows = _period_rows(kind, start, end, key, daily_value, monthly_value, scope)
    totals = (
        select(rows.c.key, func.sum(rows.c.value).label("total"))
        .group_by(rows.c.key)
        .having(func.sum(rows.c.value) > 0)  # a month minus its days outside may leave 0
        .order_by(desc("total"), rows.c.key)
        .limit(TOP_N)
        .subquery()
    )
    found = db.session.execute(
        select(totals.c.key, totals.c.total, name_col, label_col)
        .outerjoin(model, model.id == totals.c.key)
        .order_by(totals.c.total.desc(), totals.c.key)
    ).all()
    return [
        Ranked(name or f"#{key}", label or name or "", int(total))
        for key, total, name, label in found
    ]


def _top_users(start: date, end: date) -> list[Ranked]:
    """Users with the most active days in the period."""
    return _ranked(
        "active",
        start,
        end,
        key=lambda t: t.user_id,
        daily_value=lambda t: literal(1),
        monthly_value=lambda t: t.days,
        scope=lambda t: t.user_id != TEAM_ROW,
        model=User,
        name_col=User.username,
        label_col=User.display_name,
    )


def _top_teams(start: date, end: date) -> list[Ranked]:
    """Teams with the most runs created in the period."""
    return _ranked(
        "run_created",
        start,
        end,
        key=lambda t: t.team_id,
        daily_value=lambda t: t.count,
        monthly_value=lambda t: t.count,
        scope=lambda t: (t.user_id == TEAM_ROW) & (t.team_id != NO_TEAM),
        model=Team,
        name_col=Team.slug,
        label_col=Team.display_name,
    )


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _month_end(day: date) -> date:
    return _next_month(day) - timedelta(days=1)
