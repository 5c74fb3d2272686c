"""``/teams/<team>/projects/<project>/compare?run=a&run=b&metric=loss``: one metric of up to
ten runs overlaid on one chart (each series bounded like the run page's)."""

from __future__ import annotations

from flask import render_template, request

from .. import metric_charts
from ..auth import requires
from ..models import Project
from ..services import metric_series, run_table
from . import bp
from .loaders import load_project
from .teams import team_flags

MAX_RUNS = 10


@bp.get("/teams/<team>/projects/<project>/compare")
@requires("run:view", resource=load_project)
def compare_runs(team: str, project: str, resource: Project):
    ids = [r for r in dict.fromkeys(request.args.getlist("run")) if r]
    too_many = len(ids) > MAX_RUNS
    runs = run_table.runs_by_ids(resource, ids[:MAX_RUNS])
    metrics = run_table.metric_names(runs)
    metric = request.args.get("metric") or (metrics[0] if metrics else "")
    axis = "time" if request.args.get("x") == "time" else "step"
    chart = None
    if runs and metric:
        lines = [
            metric_charts.Line(run.name, series, color)
            for color, (run, series) in enumerate(metric_series.compare_series(runs, metric))
        ]
        chart = metric_charts.line_chart(
            lines,
            title=f"{metric} of {len(runs)} runs against {axis}",
            testid="chart-compare",
            axis=axis,
            width=760,
            height=320,
        )
    return render_template(
        "projects/compare.html",
        team=resource.team,
        project=resource,
        tab="projects",
        flags=team_flags(resource.team),
        runs=runs,
        metrics=metrics if metric in metrics or not metric else [*metrics, metric],
        metric=metric,
        axis=axis,
        chart=chart,
        too_many=too_many,
        max_runs=MAX_RUNS,
    )
