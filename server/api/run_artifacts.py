"""``/teams/{team}/projects/{project}/runs/{run_id}/used-artifacts``: the artifact versions a
run used (its inputs), and ``.../artifacts/{name}/versions/{version}/used-by``: the runs that
used a version. Declaring use needs ``run:log`` on the run and ``artifact:view`` where the
artifact lives (the run's project by default; a public project of another team may be named).
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from ..models import Project, Run, RunArtifactUse
from ..services import artifacts as artifact_service
from ..services import run_lineage as service
from . import api
from .artifacts import BASE as ARTIFACTS
from .pagination import PageQuery, page_response, paginate
from .projects import load_project
from .routing import endpoint
from .runs import RUN, load_run
from .serializers import iso


class UseArtifact(BaseModel):
    artifact: str = Field(min_length=1, max_length=128, description="The artifact's name")
    version: str = Field(
        default="latest", min_length=1, max_length=64, description="v3, latest or an alias"
    )
    project: str | None = Field(
        default=None, min_length=1, max_length=128, description="Default: the run's project"
    )
    team: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Default: the run's team; another team's artifact must be one you may read",
    )


def _username(user) -> str | None:
    return user.username if user is not None else None


def used_dict(use: RunArtifactUse) -> dict[str, Any]:
    version = use.version
    collection = version.collection
    project = collection.project
    return {
        "team": project.team.slug,
        "project": project.name,
        "artifact": collection.name,
        "type": collection.type,
        "version": version.label,
        "digest": version.digest,
        "used_by": _username(use.used_by),
        "used_at": iso(use.used_at),
    }


def user_dict(use: RunArtifactUse) -> dict[str, Any]:
    run = use.run
    return {
        "team": run.project.team.slug,
        "project": run.project.name,
        "run_id": run.run_id,
        "name": run.name,
        "state": run.state,
        "created_by": _username(run.created_by),
        "used_at": iso(use.used_at),
    }


@endpoint(
    api,
    RUN + "/used-artifacts",
    "POST",
    permission="run:log",
    resource=load_run,
    body=UseArtifact,
    status=201,
    responses={200: "The run had declared this version already (nothing changes)"},
    summary="Declare that the run used an artifact version (idempotent)",
)
def use_artifact(team: str, project: str, run_id: str, resource: Run, body: UseArtifact):
    version = service.source_version(
        current_user,
        resource,
        artifact=body.artifact,
        version=body.version,
        team=body.team,
        project=body.project,
    )
    used, created = service.record_use(current_user, resource, version)
    return used_dict(used), 201 if created else 200


@endpoint(
    api,
    RUN + "/used-artifacts",
    "GET",
    permission="run:view",
    resource=load_run,
    query=PageQuery,
    summary="The artifact versions the run used, in the order declared",
)
def list_used_artifacts(team: str, project: str, run_id: str, resource: Run, query: PageQuery):
    stmt = service.used_query(resource, current_user)
    page = paginate(stmt, RunArtifactUse.id, cursor=query.cursor, limit=query.limit)
    return page_response(page, used_dict)


@endpoint(
    api,
    f"{ARTIFACTS}/<name>/versions/<version>/used-by",
    "GET",
    permission="artifact:view",
    resource=load_project,
    query=PageQuery,
    summary="The runs that used an artifact version (those you may read)",
)
def list_version_users(
    team: str, project: str, name: str, version: str, resource: Project, query: PageQuery
):
    collection = artifact_service.load_collection(resource, name)
    found = artifact_service.resolve_version(collection, version)
    stmt = service.users_query(found, current_user)
    page = paginate(stmt, RunArtifactUse.id, cursor=query.cursor, limit=query.limit)
    return page_response(page, user_dict)
