"""``/admin/activity``: the activity dashboard, drawn as server-side SVG charts."""

from __future__ import annotations

from flask import render_template, request

from .. import charts
from ..auth import requires
from ..services.activity_report import PERIODS, Dashboard, build_dashboard
from . import bp
from .templating import age

DAILY_BARS_UP_TO = 92  # longer periods draw one bar (or point) per week
DAILY_POINTS_UP_TO = 185


@bp.get("/admin/activity")
@requires("system:activity")
def admin_activity():
    dashboard = build_dashboard(request.args.get("period"))
    return render_template(
        "admin/activity.html",
        admin_section="activity",
        d=dashboard,
        periods=PERIODS,
        charts=_charts(dashboard),
        storage_total=charts.human_bytes(dashboard.storage.total_bytes),
    )


def _charts(d: Dashboard) -> dict[str, str]:
    active, active_title = d.active_users, "Daily active users"
    if len(active) > DAILY_POINTS_UP_TO:
        active = charts.weekly(active, mean=True)
        active_title = "Daily active users (weekly average)"
    runs, runs_title, runs_noun = d.runs_created, "Runs created per day", "runs created"
    if len(runs) > DAILY_BARS_UP_TO:
        runs, runs_title = charts.weekly(runs, mean=False), "Runs created per week"
        runs_noun = "runs created in the week from this day"
    return {
        "active": charts.line_chart(
            active,
            title=active_title,
            noun="active users",
            testid="chart-active-users",
            empty="No activity in this period",
        ),
        "runs": charts.column_chart(
            runs,
            title=runs_title,
            noun=runs_noun,
            testid="chart-runs",
            empty="No runs created in this period",
        ),
        "states": charts.bar_list(
            _state_items(d), title="Users by state", testid="chart-user-states", empty="No users."
        ),
        "seats": charts.meter(
            d.seats_used, d.seats_licensed, title="Seats used vs licensed", testid="chart-seats"
        ),
        "storage": charts.bar_list(
            _storage_items(d),
            title="Storage per team",
            testid="chart-storage",
            empty="No teams yet.",
        ),
        "top_users": charts.bar_list(
            [
                charts.BarItem(
                    r.name, r.value, f"{r.display_name} (@{r.name}): {r.value} active days"
                )
                for r in d.top_users
            ],
            title="Most active users (days active)",
            testid="chart-top-users",
            empty="No activity in this period.",
        ),
        "top_teams": charts.bar_list(
            [
                charts.BarItem(r.name, r.value, f"{r.display_name} ({r.name}): {r.value} runs")
                for r in d.top_teams
            ],
            title="Most active teams (runs created)",
            testid="chart-top-teams",
            empty="No runs created in this period.",
        ),
    }


def _state_items(d: Dashboard) -> list[charts.BarItem]:
    rows = [
        ("Active, full seat", d.users_by_state["active"]["full"]),
        ("Active, viewer", d.users_by_state["active"]["viewer"]),
        ("Invited", sum(d.users_by_state["invited"].values())),
        ("Deactivated", sum(d.users_by_state["deactivated"].values())),
        ("Service accounts", d.service_accounts),
    ]
    return [charts.BarItem(label, n, f"{label}: {n:,}") for label, n in rows]


def _storage_items(d: Dashboard) -> list[charts.BarItem]:
    items = []
    for t in d.storage.teams:
        if t.storage_kind != "internal":
            shown = "own bucket"
        elif t.error and t.used_bytes is None:
            shown = "failed"
        else:
            shown = charts.human_bytes(t.used_bytes)
        when = f", measured {age(t.measured_at)}" if t.measured_at else ""
        problem = f" (last measurement failed: {t.error})" if t.error else ""
        tooltip = f"{t.display_name} ({t.team}): {shown}{when}{problem}"
        items.append(charts.BarItem(t.team, t.used_bytes or 0, tooltip, shown))
    return items
