"""Reading runs: the list query (everything a list shows loaded in one statement), one run by
its id, and a run's metric history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import NotFound
from ..extensions import db
from ..models import Project, Run, RunHistoryRow, Sweep


def with_project(run: Run, project: Project) -> Run:
    """Attach the already loaded project without marking the run changed."""
    set_committed_value(run, "project", project)
    return run


def runs_query(project: Project, *, state=None, group=None, sweep: Sweep | None = None):
    """Runs of ``project`` with everything a list shows loaded in the same query."""
    stmt = (
        select(Run)
        .where(Run.project_id == project.id)
        .options(joinedload(Run.created_by), joinedload(Run.logged_by), joinedload(Run.sweep))
    )
    if state:
        stmt = stmt.where(Run.state == state)
    if group:
        stmt = stmt.where(Run.group == group)
    if sweep is not None:
        stmt = stmt.where(Run.sweep_id == sweep.id)
    return stmt


def attach_project(runs: list[Run], project: Project) -> list[Run]:
    return [with_project(run, project) for run in runs]


def load_run(project: Project, run_id: str) -> Run:
    """The run ``run_id`` of ``project``; NotFound (``run_not_found``) otherwise."""
    run = db.session.scalar(runs_query(project).where(Run.run_id == run_id))
    if run is None:
        raise NotFound(f"No run {run_id!r} in {project.name}.", code="run_not_found")
    return with_project(run, project)


def history_query(run: Run, *, min_step: int | None = None):
    stmt = select(RunHistoryRow).where(RunHistoryRow.run_pk == run.id)
    if min_step is not None:
        stmt = stmt.where(RunHistoryRow.step >= min_step)
    return stmt
