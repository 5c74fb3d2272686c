"""Several runs at once (the console's bulk actions): all or nothing, each run authorised
with the same ``authorize`` as one at a time."""

from __future__ import annotations

from sqlalchemy import select

from ..auth import authorize
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import Project, Run
from .runs import audit_run, move_run

MAX_BATCH = 100


def _check(actor, permission: str, runs: list[Run]) -> None:
    if not runs:
        raise ValidationFailed("Choose at least one run.", code="no_runs_selected")
    if len(runs) > MAX_BATCH:
        raise ValidationFailed(f"Choose at most {MAX_BATCH} runs.", code="too_many_runs")
    for run in runs:  # every refusal before any change
        authorize(actor, permission, run)


def delete_runs(actor, runs: list[Run]) -> int:
    """Delete every run (history and files too) or none: Forbidden when ``actor`` may not
    delete one of them. Returns how many were deleted."""
    from .run_files import delete_objects, stored_paths

    _check(actor, "run:delete", runs)
    team = runs[0].project.team
    paths = stored_paths([run.id for run in runs])
    for run in runs:
        audit_run("run:delete", run, bulk=True)
        db.session.delete(run)
    db.session.commit()
    delete_objects(team, paths)
    return len(runs)


def move_runs(actor, runs: list[Run], target: Project) -> int:
    """Move every run to ``target`` or none (``run:move`` on each, ``run:log`` there).
    Raises what :func:`move_run` raises for the first run that cannot go."""
    _check(actor, "run:move", runs)
    authorize(actor, "run:log", target)
    taken = db.session.scalars(
        select(Run.run_id).where(
            Run.project_id == target.id, Run.run_id.in_([run.run_id for run in runs])
        )
    ).all()
    if taken:
        raise Conflict(
            f"{target.name} already has runs named {', '.join(sorted(taken))}.", code="run_exists"
        )
    for run in runs:
        move_run(actor, run, target)
    return len(runs)
