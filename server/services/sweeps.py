"""Sweeps: create, list, show and delete (detaching its runs, or deleting them as well).

Deleting a sweep is ``run:delete`` on the sweep (members: their own sweeps). Deleting its runs
with it applies the same rule to every run: a member cannot delete another member's run
through a sweep; the whole request is refused and nothing is deleted.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload, load_only
from sqlalchemy.orm.attributes import set_committed_value

from ..auth import can
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import Project, Run, Sweep
from . import audit
from .runs import audit_run, check_json_size, generate_run_id

SWEEP_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
METHODS = ("grid", "random", "bayes")
MAX_LISTED_REFUSALS = 20
CHUNK = 1000  # ids per statement, well under every driver's parameter limit


def check_config(config: dict[str, Any]) -> dict[str, Any]:
    """A sweep config names a search ``method`` and the ``parameters`` to search."""
    if config.get("method") not in METHODS:
        raise ValidationFailed(
            f"config.method must be one of {', '.join(METHODS)}.", code="invalid_sweep_config"
        )
    if not isinstance(config.get("parameters"), dict) or not config["parameters"]:
        raise ValidationFailed(
            "config.parameters must map each parameter to its values or distribution.",
            code="invalid_sweep_config",
        )
    check_json_size("config", config)
    return config


def sweeps_query(project: Project):
    return select(Sweep).where(Sweep.project_id == project.id).options(joinedload(Sweep.created_by))


def attach_project(sweeps: list[Sweep], project: Project) -> list[Sweep]:
    for sweep in sweeps:
        set_committed_value(sweep, "project", project)
    return sweeps


def load_sweep(project: Project, sweep_id: str) -> Sweep:
    """The sweep ``sweep_id`` of ``project``; NotFound (``sweep_not_found``) otherwise."""
    sweep = db.session.scalar(sweeps_query(project).where(Sweep.sweep_id == sweep_id))
    if sweep is None:
        raise NotFound(f"No sweep {sweep_id!r} in {project.name}.", code="sweep_not_found")
    set_committed_value(sweep, "project", project)
    return sweep


def run_count(sweep: Sweep) -> int:
    return db.session.scalar(select(func.count(Run.id)).where(Run.sweep_id == sweep.id)) or 0


def create_sweep(
    actor, project: Project, config: dict[str, Any], *, sweep_id: str | None, name: str = ""
) -> Sweep:
    """Create a sweep owned by ``actor``. Raises ValidationFailed for a bad id or config,
    Conflict when the id is taken."""
    if sweep_id is not None and not SWEEP_ID_RE.match(sweep_id):
        raise ValidationFailed(
            "Sweep ids are 1-64 letters, digits, '_' or '-'.", code="invalid_sweep_id"
        )
    sweep_id = sweep_id or generate_run_id()
    check_config(config)
    taken = db.session.scalar(
        select(Sweep.id).where(Sweep.project_id == project.id, Sweep.sweep_id == sweep_id)
    )
    if taken is not None:
        raise Conflict(f"{project.name} already has a sweep {sweep_id!r}.", code="sweep_exists")
    sweep = Sweep(
        project_id=project.id,
        sweep_id=sweep_id,
        name=name or sweep_id,
        config=config,
        created_by_id=actor.id,
    )
    db.session.add(sweep)
    db.session.flush()
    audit.record("sweep:create", target=sweep, team_id=project.team_id)
    db.session.commit()
    return load_sweep(project, sweep_id)


def _runs_of(sweep: Sweep) -> list[Run]:
    stmt = (
        select(Run)
        .where(Run.sweep_id == sweep.id)
        .options(load_only(Run.id, Run.run_id, Run.created_by_id, Run.project_id))
    )
    runs = list(db.session.scalars(stmt))
    for run in runs:
        set_committed_value(run, "project", sweep.project)
    return runs


def delete_sweep(actor, sweep: Sweep, *, delete_runs: bool = False) -> dict[str, int]:
    """Delete the sweep; its runs are detached (kept), or deleted too with ``delete_runs``.

    Raises Forbidden (``permission_denied``, naming some refused runs) when ``delete_runs``
    would delete a run the actor may not delete; nothing is deleted then.
    """
    from .run_files import delete_objects, stored_paths

    runs = _runs_of(sweep)
    ids = [run.id for run in runs]
    paths: list[str] = []
    if delete_runs:
        refused = [run.run_id for run in runs if not can(actor, "run:delete", run)]
        if refused:
            raise Forbidden(
                f"{len(refused)} run(s) of this sweep belong to someone else; only their "
                "creators or a team admin can delete them. Nothing was deleted.",
                code="permission_denied",
                permission="run:delete",
                runs=refused[:MAX_LISTED_REFUSALS],
            )
        paths = stored_paths(ids)
        for run in runs:  # each run's deletion is on the record, like a direct one
            audit_run("run:delete", run, sweep=sweep.sweep_id)
        for start in range(0, len(ids), CHUNK):
            db.session.execute(delete(Run).where(Run.id.in_(ids[start : start + CHUNK])))
    elif ids:
        db.session.execute(update(Run).where(Run.sweep_id == sweep.id).values(sweep_id=None))
    outcome = {"runs_deleted" if delete_runs else "runs_detached": len(ids)}
    audit.record("sweep:delete", target=sweep, team_id=sweep.team_id, details=outcome)
    db.session.delete(sweep)
    db.session.commit()
    delete_objects(sweep.project.team, paths)
    return outcome
