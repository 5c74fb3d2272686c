"""``/teams/<team>/projects/<project>``: the runs table (filters, sort, summary metrics as
columns, cursor pages) and its bulk actions: compare, move and delete.

Bulk buttons post the ticked runs here; compare redirects to the comparison, move and delete
to a confirmation page that lists what will happen, whose own form does it and redirects
back. The runs service authorises every run again.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..auth import can, requires
from ..errors import OutpostError
from ..extensions import db
from ..models import Project, Run
from ..models.run import RUN_STATES
from ..services import projects as project_service
from ..services import run_batches, run_table
from . import bp
from .data_forms import MoveRunForm
from .forms import ConfirmForm
from .loaders import load_project
from .teams import PAGE, cursor_arg, team_flags

MAX_SELECTED = run_batches.MAX_BATCH


def duration(run: Run) -> str:
    """'3h 05m', '12m 40s', '8s': from creation to the end, or to now while it runs."""
    end = run.finished_at or (clock.now() if run.state == "running" else run.updated_at)
    seconds = max(0, int((end - run.created_at).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def attribution(run: Run) -> str:
    """Who the run is for, and who sent it when that differs (a service account)."""
    owner = run.created_by.username if run.created_by is not None else "deleted user"
    if run.created_by is not None and run.created_by.is_service_account:
        return f"{owner} (service account)"
    if run.logged_by is not None and run.logged_by_id != run.created_by_id:
        return f"{owner} (via {run.logged_by.username})"
    return owner


def _filters() -> run_table.RunFilters:
    args = request.args
    state = args.get("state") or None
    return run_table.RunFilters(
        state=state if state in RUN_STATES else None,
        user=(args.get("user") or "").strip() or None,
        tag=(args.get("tag") or "").strip() or None,
        group=(args.get("group") or "").strip() or None,
        search=(args.get("q") or "").strip() or None,
        sort=args.get("sort") or "created",
        descending=args.get("dir", "desc") != "asc",
        columns=[c for c in args.getlist("col") if c][: run_table.MAX_METRIC_COLUMNS],
    )


def _query_without(*drop: str, **extra) -> str:
    """The current query string minus ``drop`` (and the cursor), plus ``extra``."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in (*drop, "cursor")]
    pairs += [(k, v) for k, v in extra.items() if v is not None]
    return urlencode(pairs)


@bp.get("/teams/<team>/projects/<project>")
@requires("run:view", resource=load_project)
def project_runs(team: str, project: str, resource: Project):
    filters = _filters()
    page = run_table.run_table_page(resource, filters, cursor=cursor_arg(), limit=PAGE)
    user = current_user
    return render_template(
        "projects/runs.html",
        team=resource.team,
        project=resource,
        tab="projects",
        flags=team_flags(resource.team),
        page=page,
        filters=filters,
        states=RUN_STATES,
        metrics=sorted(set(run_table.metric_names(page.items)) | set(filters.columns)),
        deletable={run.id for run in page.items if can(user, "run:delete", run)},
        movable={run.id for run in page.items if can(user, "run:move", run)},
        attribution=attribution,
        duration=duration,
        query_without=_query_without,
        bulk_form=ConfirmForm(formdata=None),
        max_selected=MAX_SELECTED,
    )


def _selected() -> list[str]:
    ids = [r for r in dict.fromkeys(request.values.getlist("run")) if r]
    if len(ids) > MAX_SELECTED:
        abort(400)
    return ids


@bp.post("/teams/<team>/projects/<project>/bulk")
@requires("run:view", resource=load_project)
def bulk_runs(team: str, project: str, resource: Project):
    """Where the table's bulk buttons go: each answers with a redirect (nothing changes)."""
    form = ConfirmForm()
    ids = _selected()
    back = url_for("console.project_runs", team=team, project=project)
    if not form.validate_on_submit() or not ids:
        flash("Tick at least one run first.", "error")
        return redirect(back)
    action = request.form.get("action")
    target = {
        "compare": "console.compare_runs",
        "move": "console.confirm_move_runs",
        "delete": "console.confirm_delete_runs",
    }.get(action)
    if target is None:
        abort(400)
    return redirect(
        url_for(target, team=team, project=project) + "?" + urlencode([("run", r) for r in ids])
    )


def _chosen_runs(project: Project) -> list[Run]:
    return run_table.runs_by_ids(project, _selected())


def _confirm_bulk(project: Project, action: str, permission: str, form):
    """The confirmation page of a bulk action, naming the chosen runs the user may not touch."""
    runs = _chosen_runs(project)
    return render_template(
        "projects/runs_confirm.html",
        team=project.team,
        project=project,
        tab="projects",
        flags=team_flags(project.team),
        runs=runs,
        refused=[run for run in runs if not can(current_user, permission, run)],
        action=action,
        form=form,
    )


@bp.get("/teams/<team>/projects/<project>/bulk/delete")
@requires("run:view", resource=load_project)
def confirm_delete_runs(team: str, project: str, resource: Project):
    return _confirm_bulk(resource, "delete", "run:delete", ConfirmForm(formdata=None))


@bp.post("/teams/<team>/projects/<project>/bulk/delete")
@requires("run:view", resource=load_project)
def delete_runs(team: str, project: str, resource: Project):
    """Delete the ticked runs; each is authorised (``run:delete``) by the runs service."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    runs = _chosen_runs(resource)
    count = run_batches.delete_runs(current_user, runs)
    flash(f"Deleted {count} run{'s' if count != 1 else ''}.", "success")
    return redirect(url_for("console.project_runs", team=team, project=project))


def move_form(project: Project, submitted: bool = False) -> MoveRunForm:
    """The move form, offering the team's other projects."""
    form = MoveRunForm() if submitted else MoveRunForm(formdata=None)
    form.project.choices = project_service.other_project_names(project)
    return form


@bp.get("/teams/<team>/projects/<project>/bulk/move")
@requires("run:view", resource=load_project)
def confirm_move_runs(team: str, project: str, resource: Project):
    return _confirm_bulk(resource, "move", "run:move", move_form(resource))


@bp.post("/teams/<team>/projects/<project>/bulk/move")
@requires("run:view", resource=load_project)
def move_runs(team: str, project: str, resource: Project):
    """Move the ticked runs (``run:move`` on each, ``run:log`` in the target project)."""
    form = move_form(resource, submitted=True)
    if not form.validate_on_submit():
        abort(400)
    runs = _chosen_runs(resource)
    target = project_service.load_project(resource.team, form.project.data or "", current_user)
    try:
        count = run_batches.move_runs(current_user, runs, target)
    except OutpostError as error:
        if error.status == 403:
            raise
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("console.project_runs", team=team, project=project))
    flash(f"Moved {count} run{'s' if count != 1 else ''} to {target.name}.", "success")
    return redirect(url_for("console.project_runs", team=team, project=target.name))
