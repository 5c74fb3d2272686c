"""``/teams/<team>/projects/<project>/runs/<run_id>``: one run — overview, config and summary
as tables, a chart per logged metric (against step or time), files with download links,
the artifact versions it logged and those it used — and stop, move and delete for those
allowed.

Charts are drawn here from :mod:`services.metric_series`, which bounds every series to 500
points, so the page costs the same for a run of a thousand or a million steps.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import metric_charts
from ..auth import can, requires
from ..errors import NotFound, OutpostError
from ..extensions import db
from ..models import Run
from ..services import metric_series, run_files, run_lineage, run_logs, run_source
from ..services import projects as project_service
from ..services import runs as run_service
from . import bp
from .forms import ConfirmForm
from .loaders import load_run
from .runs import attribution, duration, move_form
from .teams import team_flags

CHARTS_PER_PAGE = 12
FILES_SHOWN = 200
TABLE_ROWS = 500


def flatten(value: Any, prefix: str = "", out: list | None = None) -> list[tuple[str, Any]]:
    """Nested config or summary as ``(dotted.key, value)`` rows (at most TABLE_ROWS)."""
    out = [] if out is None else out
    if isinstance(value, dict) and (value or not prefix):
        for key in sorted(value, key=str):
            if len(out) >= TABLE_ROWS:
                break
            flatten(value[key], f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out.append((prefix, value))
    return out


def _axis() -> str:
    return "time" if request.args.get("x") == "time" else "step"


def _chart(run: Run, series: metric_series.Series, axis: str, color: int = 0):
    where = "time since the first point" if axis == "time" else "step"
    return metric_charts.line_chart(
        [metric_charts.Line(series.key, series, color)],
        title=f"{series.key} against {where}",
        testid=f"chart-{series.key}",
        axis=axis,
    )


def _page_number(name: str = "charts", default: int | None = 1) -> int | None:
    try:
        return max(1, int(request.args[name]))
    except (KeyError, ValueError):
        return default


def _system_charts(run: Run) -> tuple[list[str], list]:
    keys, series = run_logs.system_series(run)
    return keys, [
        (
            key,
            metric_charts.line_chart(
                [metric_charts.Line(key, series[key])],
                title=f"{key} against time",
                testid=f"system-chart-{key}",
                axis="time",
            ),
        )
        for key in series
    ]


def run_actions(run: Run) -> dict[str, bool]:
    user = current_user
    return {
        "can_stop": run.state == "running" and can(user, "run:stop", run),
        "can_move": can(user, "run:move", run),
        "can_delete": can(user, "run:delete", run),
    }


@bp.get("/teams/<team>/projects/<project>/runs/<run_id>")
@requires("run:view", resource=load_run)
def run_page(team: str, project: str, run_id: str, resource: Run):
    run, axis, number = resource, _axis(), _page_number()
    start = (number - 1) * CHARTS_PER_PAGE
    metrics = metric_series.run_metrics(
        run, pick=lambda keys: keys[start : start + CHARTS_PER_PAGE]
    )
    shown = metrics.keys[start : start + CHARTS_PER_PAGE]
    charts = [
        (key, _chart(run, metrics.series[key], axis)) for key in shown if key in metrics.series
    ]
    actions = run_actions(run)
    system_keys, system_charts = _system_charts(run)
    return render_template(
        "runs/show.html",
        team=run.project.team,
        project=run.project,
        run=run,
        tab="projects",
        flags=team_flags(run.project.team),
        axis=axis,
        charts=charts,
        metric_count=len(metrics.keys),
        chart_page=number,
        chart_pages=max(1, -(-len(metrics.keys) // CHARTS_PER_PAGE)),
        config_rows=flatten(run.config or {}),
        summary_rows=flatten(run.summary or {}),
        files=run_files.list_files(run, FILES_SHOWN),
        produced=run_lineage.produced_by(run),
        used=run_lineage.used_by(run, current_user),
        used_limit=run_lineage.LIMIT,
        system_keys=system_keys,
        system_charts=system_charts,
        log=run_logs.console_page(run, _page_number("log", None)),
        actions=actions,
        attribution=attribution(run),
        duration=duration(run),
        source=run_source.links(run),
        confirm=ConfirmForm(formdata=None),
        move_form=move_form(run.project) if actions["can_move"] else None,
    )


@bp.get("/teams/<team>/projects/<project>/runs/<run_id>/chart")
@requires("run:view", resource=load_run)
def run_chart(team: str, project: str, run_id: str, resource: Run):
    """One metric's chart as an SVG document (``?metric=...&x=step|time``)."""
    key = request.args.get("metric", "")
    series = metric_series.run_metrics(resource, [key]).series.get(key)
    if series is None:
        raise NotFound(f"The run logged no numeric metric {key!r}.", code="metric_not_found")
    return Response(str(_chart(resource, series, _axis())), mimetype="image/svg+xml")


@bp.get("/teams/<team>/projects/<project>/runs/<run_id>/files/<path:path>")
@requires("run:view", resource=load_run)
def run_file(team: str, project: str, run_id: str, path: str, resource: Run):
    """Download one file: a redirect to a short-lived pre-signed URL."""
    record = run_files.load_file(resource, path)
    return redirect(run_files.download(resource, record)["url"])


def _to_run(run: Run):
    return redirect(
        url_for(
            "console.run_page",
            team=run.project.team.slug,
            project=run.project.name,
            run_id=run.run_id,
        )
    )


@bp.post("/teams/<team>/projects/<project>/runs/<run_id>/stop")
@requires("run:stop", resource=load_run)
def stop_run(team: str, project: str, run_id: str, resource: Run):
    if ConfirmForm().validate_on_submit():
        try:
            run_service.request_stop(resource, force=request.args.get("force") == "1")
            flash("The run was asked to stop.", "success")
        except OutpostError as error:
            db.session.rollback()
            flash(error.message, "error")
    return _to_run(resource)


@bp.post("/teams/<team>/projects/<project>/runs/<run_id>/move")
@requires("run:move", resource=load_run)
def move_run(team: str, project: str, run_id: str, resource: Run):
    form = move_form(resource.project, submitted=True)
    if form.validate_on_submit():
        target = project_service.load_project(
            resource.project.team, form.project.data or "", current_user
        )
        try:
            run_service.move_run(current_user, resource, target)
            flash(f"Moved to {target.name}.", "success")
        except OutpostError as error:
            if error.status == 403:
                raise
            db.session.rollback()
            flash(error.message, "error")
    return _to_run(resource)


@bp.post("/teams/<team>/projects/<project>/runs/<run_id>/delete")
@requires("run:delete", resource=load_run)
def delete_run(team: str, project: str, run_id: str, resource: Run):
    if ConfirmForm().validate_on_submit():
        run_service.delete_run(resource)
        flash(f"Run {run_id} deleted.", "success")
    return redirect(url_for("console.project_runs", team=team, project=project))
