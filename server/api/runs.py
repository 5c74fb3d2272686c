"""``/teams/{team}/projects/{project}/runs``: log runs, their metric history and files; stop,
move and delete them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import request
from flask_login import current_user
from pydantic import BaseModel, Field, StringConstraints

from ..models import Project, Run, RunFile, RunHistoryRow
from ..services import run_files, run_history, run_queries, scope
from ..services import runs as service
from ..services.projects import load_project as load_team_project
from ..services.sweeps import load_sweep
from . import api
from .pagination import PageQuery, page_response, paginate
from .projects import load_project
from .routing import endpoint
from .serializers import iso

RUNS = "/teams/<team>/projects/<project>/runs"
RUN = RUNS + "/<run_id>"
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
GitRemote = Annotated[
    str | None,
    Field(
        max_length=512,
        description="Where the code came from: https://host/owner/repo(.git), ssh://... or "
        "git@host:owner/repo.git (credentials in it are dropped; a GitHub remote is stored as "
        "its https:// address).",
    ),
]
GitCommit = Annotated[
    str | None,
    Field(max_length=40, description="The commit id: 7 to 40 hex digits."),
]


class CreateRun(BaseModel):
    run_id: str | None = Field(default=None, description="Generated when not given.")
    name: str = Field(default="", max_length=128)
    notes: str = Field(default="", max_length=4000)
    group: str = Field(default="", max_length=128)
    job_type: str = Field(default="", max_length=64)
    tags: list[Tag] = Field(default_factory=list, max_length=100)
    config: dict[str, Any] = Field(default_factory=dict)
    sweep: str | None = Field(default=None, description="Id of a sweep of this project.")
    username: str | None = Field(
        default=None,
        max_length=254,
        description="Service accounts: the person to attribute the run to (WANDB_USERNAME). "
        "Wins over the X-Wandb-Username header.",
    )
    user_email: str | None = Field(
        default=None,
        max_length=254,
        description="Service accounts: the person's e-mail (WANDB_USER_EMAIL), used when no "
        "username is given. Wins over the X-Wandb-User-Email header.",
    )
    git_remote: GitRemote = None
    git_commit: GitCommit = None


class UpdateRun(BaseModel):
    name: str | None = Field(default=None, max_length=128)
    notes: str | None = Field(default=None, max_length=4000)
    group: str | None = Field(default=None, max_length=128)
    job_type: str | None = Field(default=None, max_length=64)
    tags: list[Tag] | None = Field(default=None, max_length=100)
    config: dict[str, Any] | None = Field(default=None, description="Merged key by key.")
    summary: dict[str, Any] | None = Field(default=None, description="Merged key by key.")
    state: Literal["finished", "crashed"] | None = Field(
        default=None, description="Finish the run (a run asked to stop ends as 'stopped')."
    )
    exit_code: int | None = Field(default=None, ge=-(2**31), lt=2**31)
    git_remote: GitRemote = None
    git_commit: GitCommit = None


class HistoryRows(BaseModel):
    rows: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=run_history.MAX_HISTORY_ROWS,
        description="Metric rows, each with an increasing '_step'.",
    )


class HistoryQuery(PageQuery):
    limit: int = Field(default=500, ge=1, le=1000, description="Rows per page (1-1000).")
    keys: str | None = Field(default=None, description="Comma-separated metric names to return.")
    min_step: int | None = Field(default=None, ge=0, lt=2**63, description="First step to return.")


class RunsQuery(PageQuery):
    state: Literal["running", "finished", "crashed", "stopped"] | None = None
    group: str | None = None
    sweep: str | None = Field(default=None, description="Only the runs of this sweep.")


class StopRun(BaseModel):
    force: bool = Field(
        default=False,
        description="Mark the run stopped at once (its process is gone) instead of asking "
        "the client to stop.",
    )


class MoveRun(BaseModel):
    project: str = Field(min_length=1, max_length=128, description="A project of the team.")


class DeclareFile(BaseModel):
    path: str = Field(min_length=1, max_length=450)
    size: int = Field(ge=0, description="Bytes; the upload URL accepts exactly this size.")


def _username(user) -> str | None:
    return user.username if user is not None else None


def run_dict(run: Run) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "name": run.name,
        "team": run.project.team.slug,
        "project": run.project.name,
        "state": run.state,
        "stop_requested": run.stop_requested,
        "exit_code": run.exit_code,
        "notes": run.notes,
        "group": run.group,
        "job_type": run.job_type,
        "tags": run.tags,
        "config": run.config,
        "summary": run.summary,
        "sweep": run.sweep.sweep_id if run.sweep is not None else None,
        "created_by": _username(run.created_by),
        "logged_by": _username(run.logged_by),
        "history": {"rows": run.history_count, "last_step": run.last_step},
        "git_remote": run.git_remote,
        "git_commit": run.git_commit,
        "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at),
        "finished_at": iso(run.finished_at),
    }


def load_run(team: str, project: str, run_id: str) -> Run:
    """Resource loader: the run, with its project (and team) attached."""
    return scope.load_run(current_user, team, project, run_id)


@endpoint(
    api,
    RUNS,
    "GET",
    permission="run:view",
    resource=load_project,
    query=RunsQuery,
    summary="The project's runs, filtered by state, group or sweep",
)
def list_runs(team: str, project: str, resource: Project, query: RunsQuery):
    sweep = load_sweep(resource, query.sweep) if query.sweep else None
    stmt = run_queries.runs_query(resource, state=query.state, group=query.group, sweep=sweep)
    page = paginate(stmt, Run.id, cursor=query.cursor, limit=query.limit)
    run_queries.attach_project(page.items, resource)
    return page_response(page, run_dict)


@endpoint(
    api,
    RUNS,
    "POST",
    permission="run:log",
    resource=load_project,
    body=CreateRun,
    status=201,
    summary="Start a run (service accounts may name the person it belongs to)",
)
def create_run(team: str, project: str, resource: Project, body: CreateRun):
    fields = body.model_dump()
    fields["username"] = body.username or request.headers.get("X-Wandb-Username")
    fields["user_email"] = body.user_email or request.headers.get("X-Wandb-User-Email")
    run, warnings = service.create_run(current_user, resource, service.RunSpec(**fields))
    return {**run_dict(run), "warnings": warnings}, 201


@endpoint(api, RUN, "GET", permission="run:view", resource=load_run, summary="One run")
def get_run(team: str, project: str, run_id: str, resource: Run):
    return run_dict(resource)


@endpoint(
    api,
    RUN,
    "PATCH",
    permission="run:log",
    resource=load_run,
    body=UpdateRun,
    summary="Update name, tags, config or summary; finish the run",
)
def update_run(team: str, project: str, run_id: str, resource: Run, body: UpdateRun):
    return run_dict(service.update_run(resource, body.model_dump(exclude_unset=True)))


@endpoint(
    api,
    RUN,
    "DELETE",
    permission="run:delete",
    resource=load_run,
    status=204,
    summary="Delete a run with its history and files (members: their own runs)",
)
def delete_run(team: str, project: str, run_id: str, resource: Run):
    service.delete_run(resource)
    return "", 204


@endpoint(
    api,
    RUN + "/history",
    "POST",
    permission="run:log",
    resource=load_run,
    body=HistoryRows,
    summary="Append metric history rows (at most 1000 per request)",
)
def append_history(team: str, project: str, run_id: str, resource: Run, body: HistoryRows):
    return run_history.append_history(resource, body.rows)


@endpoint(
    api,
    RUN + "/history",
    "GET",
    permission="run:view",
    resource=load_run,
    query=HistoryQuery,
    summary="Metric history rows in step order",
)
def get_history(team: str, project: str, run_id: str, resource: Run, query: HistoryQuery):
    keys = {k.strip() for k in query.keys.split(",") if k.strip()} if query.keys else None
    stmt = run_queries.history_query(resource, min_step=query.min_step)
    page = paginate(stmt, RunHistoryRow.step, cursor=query.cursor, limit=query.limit)

    def row(item: RunHistoryRow) -> dict[str, Any]:
        data = item.data if keys is None else {k: v for k, v in item.data.items() if k in keys}
        return {"_step": item.step, **data}

    return page_response(page, row)


@endpoint(
    api,
    RUN + "/stop",
    "POST",
    permission="run:stop",
    resource=load_run,
    body=StopRun,
    accepts_raw=True,
    summary="Ask a running run to stop (members: their own runs)",
)
def stop_run(team: str, project: str, run_id: str, resource: Run, body: StopRun | None):
    force = body.force if body is not None else False
    return run_dict(service.request_stop(resource, force=force))


@endpoint(
    api,
    RUN + "/move",
    "POST",
    permission="run:move",
    resource=load_run,
    body=MoveRun,
    summary="Move a run to another project of the team; its creator keeps it",
)
def move_run(team: str, project: str, run_id: str, resource: Run, body: MoveRun):
    target = load_team_project(resource.project.team, body.project)
    return run_dict(service.move_run(current_user, resource, target))


@endpoint(
    api,
    RUN + "/files",
    "POST",
    permission="run:log",
    resource=load_run,
    body=DeclareFile,
    status=201,
    summary="Declare a run file: a pre-signed URL to upload its bytes to the team's bucket",
)
def declare_run_file(team: str, project: str, run_id: str, resource: Run, body: DeclareFile):
    record, upload = run_files.declare_file(resource, body.path, body.size)
    return {"path": record.path, "size": record.size, "upload": upload}, 201


@endpoint(
    api,
    RUN + "/files",
    "GET",
    permission="run:view",
    resource=load_run,
    query=PageQuery,
    summary="The run's files, each with a pre-signed download URL",
)
def list_run_files(team: str, project: str, run_id: str, resource: Run, query: PageQuery):
    stmt = run_files.files_query(resource)
    page = paginate(stmt, RunFile.id, cursor=query.cursor, limit=query.limit)

    def item(record) -> dict[str, Any]:
        return {
            "path": record.path,
            "size": record.size,
            "updated_at": iso(record.updated_at),
            "download": run_files.download(resource, record),
        }

    return page_response(page, item)
