"""``/teams/{team}/projects/{project}/sweeps``: hyperparameter sweeps and their runs."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from ..models import Project, Run, Sweep
from ..services import run_queries
from ..services import sweeps as service
from . import api
from .pagination import PageQuery, page_response, paginate
from .projects import load_project
from .routing import endpoint
from .runs import run_dict
from .serializers import iso

SWEEPS = "/teams/<team>/projects/<project>/sweeps"
SWEEP = SWEEPS + "/<sweep_id>"


class CreateSweep(BaseModel):
    sweep_id: str | None = Field(default=None, description="Generated when not given.")
    name: str = Field(default="", max_length=128)
    config: dict[str, Any] = Field(
        description="The search: 'method' (grid, random, bayes), 'parameters', 'metric', ..."
    )


class DeleteSweepQuery(BaseModel):
    delete_runs: bool = Field(
        default=False,
        description="Delete the sweep's runs too (each needs run:delete); by default they are "
        "kept and leave the sweep.",
    )


def sweep_dict(sweep: Sweep, *, runs: int | None = None) -> dict[str, Any]:
    body = {
        "sweep_id": sweep.sweep_id,
        "name": sweep.name,
        "team": sweep.project.team.slug,
        "project": sweep.project.name,
        "config": sweep.config,
        "created_by": sweep.created_by.username if sweep.created_by else None,
        "created_at": iso(sweep.created_at),
    }
    if runs is not None:
        body["run_count"] = runs
    return body


def load_sweep(team: str, project: str, sweep_id: str) -> Sweep:
    return service.load_sweep(load_project(team, project), sweep_id)


@endpoint(
    api,
    SWEEPS,
    "GET",
    permission="run:view",
    resource=load_project,
    query=PageQuery,
    summary="The project's sweeps",
)
def list_sweeps(team: str, project: str, resource: Project, query: PageQuery):
    stmt = service.sweeps_query(resource)
    page = paginate(stmt, Sweep.id, cursor=query.cursor, limit=query.limit)
    service.attach_project(page.items, resource)
    return page_response(page, sweep_dict)


@endpoint(
    api,
    SWEEPS,
    "POST",
    permission="run:log",
    resource=load_project,
    body=CreateSweep,
    status=201,
    summary="Create a sweep; runs join it by naming it when they start",
)
def create_sweep(team: str, project: str, resource: Project, body: CreateSweep):
    sweep = service.create_sweep(
        current_user, resource, body.config, sweep_id=body.sweep_id, name=body.name
    )
    return sweep_dict(sweep, runs=0), 201


@endpoint(
    api,
    SWEEP,
    "GET",
    permission="run:view",
    resource=load_sweep,
    summary="A sweep with its run count",
)
def get_sweep(team: str, project: str, sweep_id: str, resource: Sweep):
    return sweep_dict(resource, runs=service.run_count(resource))


@endpoint(
    api,
    SWEEP + "/runs",
    "GET",
    permission="run:view",
    resource=load_sweep,
    query=PageQuery,
    summary="The sweep's runs",
)
def list_sweep_runs(team: str, project: str, sweep_id: str, resource: Sweep, query: PageQuery):
    stmt = run_queries.runs_query(resource.project, sweep=resource)
    page = paginate(stmt, Run.id, cursor=query.cursor, limit=query.limit)
    run_queries.attach_project(page.items, resource.project)
    return page_response(page, run_dict)


@endpoint(
    api,
    SWEEP,
    "DELETE",
    permission="run:delete",
    resource=load_sweep,
    query=DeleteSweepQuery,
    summary="Delete a sweep (members: their own), detaching or deleting its runs",
)
def delete_sweep(team: str, project: str, sweep_id: str, resource: Sweep, query: DeleteSweepQuery):
    return service.delete_sweep(current_user, resource, delete_runs=query.delete_runs)
