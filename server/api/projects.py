"""``/teams/{team}/projects``: projects, their overview, workspace and visibility."""

from __future__ import annotations

from typing import Any, Literal

from flask_login import current_user
from pydantic import BaseModel, Field

from ..markdown import render_markdown
from ..models import Project, Team
from ..services import projects as service
from ..services import scope
from ..services import teams as team_service
from . import api
from .pagination import PageQuery, page_response, paginate
from .routing import endpoint
from .serializers import iso


class CreateProject(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    display_name: str = Field(default="", max_length=128)
    description: str = Field(default="", max_length=1000)
    visibility: Literal["private", "public"] | None = Field(
        default=None, description="Default: the system setting default_project_visibility."
    )


class UpdateProject(BaseModel):
    display_name: str | None = Field(default=None, max_length=128)
    description: str | None = Field(default=None, max_length=1000)
    overview: str | None = Field(default=None, max_length=200_000, description="Markdown")
    visibility: Literal["private", "public"] | None = Field(
        default=None, description="Team admins only."
    )


class DeleteProject(BaseModel):
    confirm: str = Field(description="The project name, typed again.")


class Workspace(BaseModel):
    panels: list[dict[str, Any]] = Field(default_factory=list, max_length=500)
    sections: list[dict[str, Any]] = Field(default_factory=list, max_length=100)
    settings: dict[str, Any] = Field(default_factory=dict)


def project_dict(project: Project) -> dict[str, Any]:
    return {
        "name": project.name,
        "team": project.team.slug,
        "display_name": project.display_name,
        "description": project.description,
        "visibility": project.visibility,
        "overview": project.overview,
        "overview_html": str(render_markdown(project.overview)),
        "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at),
    }


def load_team(team: str) -> Team:
    return team_service.load_team(team)


def load_project(team: str, project: str) -> Project:
    """Resource loader for every route under a project (shared by runs, reports, ...)."""
    return scope.load_project(current_user, team, project)


@endpoint(
    api,
    "/teams/<team>/projects",
    "GET",
    permission="team:list",
    query=PageQuery,
    summary="The team's projects (non-members see its public projects only)",
)
def list_projects(team: str, query: PageQuery):
    stmt = service.projects_query(current_user, load_team(team))
    page = paginate(stmt, Project.id, cursor=query.cursor, limit=query.limit)
    return page_response(page, project_dict)


@endpoint(
    api,
    "/teams/<team>/projects",
    "POST",
    permission="project:create",
    resource=load_team,
    body=CreateProject,
    status=201,
    summary="Create a project",
)
def create_project(team: str, resource: Team, body: CreateProject):
    project = service.create_project(
        current_user,
        resource,
        body.name,
        display_name=body.display_name,
        description=body.description,
        visibility=body.visibility,
    )
    return project_dict(project), 201


@endpoint(
    api,
    "/teams/<team>/projects/<project>",
    "GET",
    permission="project:view",
    resource=load_project,
    summary="A project with its overview",
)
def get_project(team: str, project: str, resource: Project):
    return project_dict(resource)


@endpoint(
    api,
    "/teams/<team>/projects/<project>",
    "PATCH",
    permission="project:edit_overview",
    resource=load_project,
    body=UpdateProject,
    summary="Edit the overview; team admins also change visibility",
)
def update_project(team: str, project: str, resource: Project, body: UpdateProject):
    changes = body.model_dump(exclude_unset=True)
    return project_dict(service.update_project(current_user, resource, changes))


@endpoint(
    api,
    "/teams/<team>/projects/<project>",
    "DELETE",
    permission="project:delete",
    resource=load_project,
    body=DeleteProject,
    status=204,
    summary="Delete a project and everything in it (team admins)",
)
def delete_project(team: str, project: str, resource: Project, body: DeleteProject):
    service.delete_project(resource, body.confirm)
    return "", 204


@endpoint(
    api,
    "/teams/<team>/projects/<project>/workspace",
    "GET",
    permission="project:view",
    resource=load_project,
    summary="The project's workspace: panel layout",
)
def get_workspace(team: str, project: str, resource: Project):
    return {"panels": [], "sections": [], "settings": {}, **(resource.workspace or {})}


@endpoint(
    api,
    "/teams/<team>/projects/<project>/workspace",
    "PUT",
    permission="workspace:edit",
    resource=load_project,
    body=Workspace,
    summary="Replace the workspace panel layout",
)
def put_workspace(team: str, project: str, resource: Project, body: Workspace):
    return service.update_workspace(resource, body.model_dump()).workspace
