"""``/teams/{team}/projects/{project}/artifacts/{name}/aliases``: names for versions."""

from __future__ import annotations

from flask_login import current_user
from pydantic import BaseModel, Field

from ..models import ArtifactAlias, Project
from ..services import artifact_aliases as service
from ..services import artifacts as artifact_service
from . import api
from .artifacts import BASE, _collection
from .pagination import PageQuery, page_response, paginate
from .projects import load_project
from .routing import endpoint


class SetAlias(BaseModel):
    version: str = Field(min_length=1, max_length=64, description="v3, latest or an alias")
    replace: bool = Field(default=True, description="false: refuse if on another version")


# --- aliases -------------------------------------------------------------------------------


@endpoint(
    api,
    f"{BASE}/<name>/aliases",
    "GET",
    permission="artifact:view",
    resource=load_project,
    query=PageQuery,
    summary="The artifact's aliases ('latest' is given separately)",
)
def list_aliases(team: str, project: str, name: str, resource: Project, query: PageQuery):
    collection = _collection(resource, name)
    stmt = service.aliases_query(collection)
    page = paginate(stmt, ArtifactAlias.id, cursor=query.cursor, limit=query.limit)
    latest = artifact_service.latest_numbers([collection.id]).get(collection.id)
    body = page_response(page, lambda a: {"alias": a.alias, "version": a.version.label})
    body["latest"] = None if latest is None else f"v{latest}"
    return body


@endpoint(
    api,
    f"{BASE}/<name>/aliases/<alias>",
    "GET",
    permission="artifact:view",
    resource=load_project,
    summary="The version an alias names",
)
def get_alias(team: str, project: str, name: str, alias: str, resource: Project):
    return service.get_alias(_collection(resource, name), alias)


@endpoint(
    api,
    f"{BASE}/<name>/aliases/<alias>",
    "PUT",
    permission="artifact:write",
    resource=load_project,
    body=SetAlias,
    summary="Set or move an alias to a committed version",
)
def set_alias(team: str, project: str, name: str, alias: str, resource: Project, body: SetAlias):
    collection = _collection(resource, name)
    return service.set_alias(current_user, collection, alias, body.version, replace=body.replace)


@endpoint(
    api,
    f"{BASE}/<name>/aliases/<alias>",
    "DELETE",
    permission="artifact:write",
    resource=load_project,
    status=204,
    summary="Remove an alias",
)
def delete_alias(team: str, project: str, name: str, alias: str, resource: Project):
    service.delete_alias(_collection(resource, name), alias)
    return "", 204
