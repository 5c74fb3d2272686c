"""Runs: create, update, finish, stop, move and delete; attribution. Reading runs is in
:mod:`.run_queries`, appending metric history in :mod:`.run_history`.

A run belongs to its creator (``created_by_id``), whatever project it is moved to; the
principal that sent it (a service account, usually) is kept as ``logged_by_id``.

Every door authorizes before calling in: ``run:log`` on the project to start a run, and on the
run itself to change one (update, finish, history, files). The table grants another team's
service account ``run:log:own`` on public projects, so asking about the run (not only its
project) is what keeps it to the runs it sent. A change (update, finish, history) is written
in one statement over the row as the request read it (same ``updated_at`` and history count);
when another request changed the row meanwhile, it is read again under a row lock
(``lock_run``) and merged. Stops and moves lock the row first.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock
from ..auth import authorize
from ..auth.principal import PRINCIPAL_COLUMNS
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import Project, Run, Sweep, User
from . import activity, audit, run_source
from .locking import commit_keeping_loaded, refresh_locked
from .run_attribution import attribute_run
from .run_queries import with_project

RUN_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ID_ALPHABET = string.ascii_lowercase + string.digits
MAX_JSON_BYTES = 1024 * 1024  # config, summary
FINAL_STATES = ("finished", "crashed")  # "stopped" comes only from a stop request


@dataclass
class RunSpec:
    """What a client gives when it creates a run."""

    run_id: str | None = None
    name: str = ""
    notes: str = ""
    group: str = ""
    job_type: str = ""
    tags: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    sweep: str | None = None
    username: str | None = None  # attribution requested by a service account's client
    user_email: str | None = None
    git_remote: str | None = None  # checked by run_source
    git_commit: str | None = None


def generate_run_id() -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(8))


def check_run_id(run_id: str) -> str:
    if not RUN_ID_RE.match(run_id or ""):
        raise ValidationFailed(
            "Run ids are 1-64 letters, digits, '_' or '-'.", code="invalid_run_id"
        )
    return run_id


def check_json_size(name: str, value: Any, limit: int = MAX_JSON_BYTES) -> None:
    if len(json.dumps(value, separators=(",", ":"))) > limit:
        raise ValidationFailed(
            f"{name} is larger than {limit // 1024} KiB.", code=f"{name}_too_large"
        )


def clean_tags(tags: list[str]) -> list[str]:
    """Tags without surrounding blanks or duplicates, order kept."""
    seen: dict[str, None] = {}
    for tag in tags:
        tag = tag.strip()
        if not tag:
            raise ValidationFailed("Tags cannot be empty.", code="invalid_tag")
        seen.setdefault(tag, None)
    return list(seen)


def audit_run(action: str, run: Run, **details: Any) -> None:
    """Record ``action`` on ``run``, named by its run id, in the run's team."""
    audit.record(
        action,
        target_type="run",
        target_id=str(run.id),
        target_name=run.run_id,
        team_id=run.team_id,
        details=details,
    )


# What a change to a run reads before it writes: re-read under the row lock.
LOCKED_FIELDS = [
    "name",
    "notes",
    "group",
    "job_type",
    "tags",
    "config",
    "summary",
    "state",
    "stop_requested",
    "exit_code",
    "finished_at",
    "last_step",
    "history_count",
]


def lock_run(run: Run) -> None:
    """Lock the run's row until the transaction ends and re-read what changes read, so
    concurrent updates merge into each other's results instead of overwriting them."""
    refresh_locked(run, LOCKED_FIELDS)


def _load_sweep(project: Project, sweep_id: str | None) -> Sweep | None:
    if not sweep_id:
        return None
    sweep = db.session.scalar(
        select(Sweep).where(Sweep.project_id == project.id, Sweep.sweep_id == sweep_id)
    )
    if sweep is None:
        raise NotFound(f"No sweep {sweep_id!r} in {project.name}.", code="sweep_not_found")
    set_committed_value(sweep, "project", project)
    return sweep


def _ensure_free(project: Project, run_id: str) -> None:
    taken = db.session.scalar(
        select(Run.id).where(Run.project_id == project.id, Run.run_id == run_id)
    )
    if taken is not None:
        raise Conflict(f"{project.name} already has a run {run_id!r}.", code="run_exists")


def create_run(actor, project: Project, spec: RunSpec) -> tuple[Run, list[dict[str, str]]]:
    """Start a run in ``project``, attributed per :func:`attribute_run`.

    Returns the run and the attribution warnings. Raises ValidationFailed for bad input,
    NotFound for an unknown sweep, Forbidden when ``actor`` may not add runs to the sweep
    (an outsider's service account joins only sweeps it created), Conflict when the run id
    is taken.
    """
    run_id = check_run_id(spec.run_id) if spec.run_id else generate_run_id()
    check_json_size("config", spec.config)
    tags = clean_tags(spec.tags)
    sweep = _load_sweep(project, spec.sweep)
    if sweep is not None:
        authorize(actor, "run:log", sweep)
    owner_id, warnings = attribute_run(actor, spec.username, spec.user_email)
    run = Run(
        project_id=project.id,
        run_id=run_id,
        name=spec.name or run_id,
        notes=spec.notes,
        group=spec.group,
        job_type=spec.job_type,
        tags=tags,
        config=spec.config,
        summary={},
        state="running",
        sweep_id=sweep.id if sweep else None,
        created_by_id=owner_id,
        logged_by_id=actor.id,
        history_count=0,
        **run_source.columns(spec.git_remote, spec.git_commit),
    )
    db.session.add(run)
    try:
        db.session.flush()
    except IntegrityError:  # the same id created concurrently
        db.session.rollback()
        raise Conflict(f"{project.name} already has a run {run_id!r}.", code="run_exists") from None
    with_project(run, project)
    audit_run("run:create", run, project=project.name, created_by_id=owner_id)
    activity.record_activity("run_created", user_id=owner_id, team_id=project.team_id)
    _attach_people(run, actor, sweep)
    commit_keeping_loaded()
    return run, warnings


def _attach_people(run: Run, actor, sweep: Sweep | None) -> None:
    """Give the new run its creator, sender and sweep for the response without reading them
    back: the actor is known (a principal snapshot is merged as its user, no query), an
    attributed person was loaded by the attribution."""
    if not isinstance(actor, User):
        actor = db.session.merge(_user_of(actor), load=False)
    set_committed_value(run, "logged_by", actor)
    owner = actor if run.created_by_id == actor.id else db.session.get(User, run.created_by_id)
    set_committed_value(run, "created_by", owner)
    set_committed_value(run, "sweep", sweep)


def _user_of(principal) -> User:
    user = User(**{name: getattr(principal, name) for name in PRINCIPAL_COLUMNS})
    make_transient_to_detached(user)
    return user


def update_run(run: Run, changes: dict[str, Any]) -> Run:
    """Rename, retag, merge config/summary keys, or finish (``state``).

    ``config`` and ``summary`` are merged key by key into what is stored: the change is
    written only if the row is still the one read (else it is re-read under a row lock and
    merged again), so concurrent updates each keep their keys. Raises ValidationFailed for bad
    input and Conflict (``run_not_running``) when finishing a run that already ended in
    another state.
    """
    for locked in (False, True):
        if locked:
            lock_run(run)
        values, ended = _changes(run, changes)
        if not values or save_run(run, values, locked=locked):
            break
    if ended:
        audit_run("run:finish", run, state=run.state)
    if set(changes) - {"state", "exit_code"} or not ended:
        audit_run("run:update", run, fields=sorted(changes))
    commit_keeping_loaded()
    if ended:
        from .alerts import notify_run_state  # the owner's alerts; never raises

        notify_run_state(run, ended)
    return run


def _changes(run: Run, changes: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The column values ``changes`` give the run as read, and the state it ends in (if)."""
    values: dict[str, Any] = {
        key: changes[key]
        for key in ("name", "notes", "group", "job_type")
        if changes.get(key) is not None
    }
    if changes.get("tags") is not None:
        values["tags"] = clean_tags(changes["tags"])
    values.update(run_source.columns(changes.get("git_remote"), changes.get("git_commit")))
    for key in ("config", "summary"):
        if changes.get(key):
            merged = {**(getattr(run, key) or {}), **changes[key]}
            check_json_size(key, merged)
            values[key] = merged
    ended = None
    if changes.get("state") is not None:
        ended = _finish(run, changes["state"], changes.get("exit_code"), values)
    return values, ended


def save_run(run: Run, values: dict[str, Any], *, locked: bool) -> bool:
    """Write ``values`` to the run's row in one statement; unless ``locked``, only if the row
    is unchanged since it was read (same ``updated_at`` and history count). True when written;
    the instance then holds the new values without being read again."""
    table = Run.__table__
    values = {**values, "updated_at": clock.now()}
    stmt = update(table).where(table.c.id == run.id).values(values)
    if not locked:
        stmt = stmt.where(
            table.c.updated_at.is_not_distinct_from(run.updated_at),
            table.c.history_count.is_not_distinct_from(run.history_count),
        )
    if db.session.execute(stmt).rowcount != 1:
        return False
    for key, value in values.items():
        set_committed_value(run, key, value)
    return True


def _finish(run: Run, state: str, exit_code: int | None, values: dict[str, Any]) -> str | None:
    """Add the end of the run to ``values``; returns the state it ends in, or None when it had
    already ended."""
    if state not in FINAL_STATES:
        raise ValidationFailed(
            "A run finishes as 'finished' or 'crashed' (stop it with POST .../stop).",
            code="invalid_state",
        )
    if run.state != "running":
        if run.state in (state, "stopped"):
            return None  # a retried finish, or a client finishing after a forced stop
        raise Conflict(f"The run already ended as {run.state}.", code="run_not_running")
    # A run asked to stop that then ends is recorded as stopped, whatever the client says.
    values["state"] = "stopped" if run.stop_requested else state
    values["exit_code"] = exit_code
    values["finished_at"] = clock.now()
    return values["state"]


def request_stop(run: Run, *, force: bool = False) -> Run:
    """Ask a running run to stop: ``stop_requested`` is set and the client, which sees it on
    the run and in every history response, finishes the run, which is then ``stopped``. With
    ``force`` (the process is gone) the run is marked stopped at once.

    Raises Conflict (``run_not_running``) for a run that already ended.
    """
    lock_run(run)
    if run.state != "running":
        raise Conflict(f"The run already ended as {run.state}.", code="run_not_running")
    run.stop_requested = True
    if force:
        run.state = "stopped"
        run.finished_at = clock.now()
    audit_run("run:stop", run, force=force)
    db.session.commit()
    return run


def move_run(actor, run: Run, target: Project) -> Run:
    """Move ``run`` to another project of its team; its creator (owner) stays.

    The caller holds ``run:move`` on the run; logging into the target (``run:log``) is checked
    here. A run leaving its project leaves its sweep too. Raises ValidationFailed for the
    same project, Conflict when the target already has a run with this id.
    """
    authorize(actor, "run:log", target)
    source = run.project
    if target.id == source.id:
        raise ValidationFailed(f"The run is already in {source.name}.", code="same_project")
    _ensure_free(target, run.run_id)
    details = {"from": source.name, "to": target.name}
    if run.sweep_id is not None:
        details["left_sweep"] = run.sweep.sweep_id
        run.sweep_id = None
        set_committed_value(run, "sweep", None)
    run.project_id = target.id
    with_project(run, target)
    audit_run("run:move", run, **details)
    db.session.commit()
    return run


def delete_run(run: Run) -> None:
    """Delete the run with its history and files (the objects too, best effort)."""
    from .run_files import delete_objects, stored_paths

    paths = stored_paths([run.id])
    audit_run("run:delete", run, files=len(paths))
    db.session.delete(run)
    db.session.commit()
    delete_objects(run.project.team, paths)
