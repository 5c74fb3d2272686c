"""``/teams/{team}/registry``: registered models, their versions and aliases, protected
aliases and registry admins. Every route is checked against the team; protected aliases are
checked again in the service, since whether an alias is protected depends on the data."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from ..models import ModelAlias, ModelVersion, RegisteredModel, Team
from ..services import registry as service
from ..services import teams as team_service
from . import api
from .artifacts import download_page
from .pagination import PageQuery, page_response, paginate
from .routing import endpoint
from .serializers import iso

BASE = "/teams/<team>/registry"
MODELS = f"{BASE}/models"


class CreateModel(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=1000)


class UpdateModel(BaseModel):
    description: str | None = Field(default=None, max_length=1000)


class LinkVersion(BaseModel):
    project: str = Field(min_length=1, max_length=128, description="A project of this team")
    artifact: str = Field(min_length=1, max_length=128)
    version: str = Field(min_length=1, max_length=64, description="v3, latest or an alias")
    aliases: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field(default="", max_length=1000)


class SetModelAlias(BaseModel):
    version: str = Field(min_length=1, max_length=64, description="v2, latest or an alias")
    replace: bool = Field(default=True, description="false: refuse if on another version")


def load_team(team: str) -> Team:
    return team_service.load_team(team)


def _user(user) -> str | None:
    return user.username if user is not None else None


def model_dict(model: RegisteredModel, summary: tuple[int, int] | None) -> dict[str, Any]:
    count, latest = summary or (0, None)
    return {
        "name": model.name,
        "description": model.description,
        "version_count": count,
        "latest_version": None if latest is None else f"v{latest}",
        "created_by": _user(model.created_by),
        "created_at": iso(model.created_at),
        "updated_at": iso(model.updated_at),
    }


def _one_model(model: RegisteredModel) -> dict[str, Any]:
    return model_dict(model, service.model_summaries([model.id]).get(model.id))


def model_version_dict(linked: ModelVersion, aliases: list[str], latest: int | None):
    source = linked.artifact_version
    return {
        "model": linked.model.name,
        "version": f"v{linked.version}",
        "aliases": (["latest"] if linked.version == latest else []) + aliases,
        "source": {
            "project": linked.source_project,
            "artifact": linked.source_artifact,
            "version": f"v{linked.source_version}",
            "available": source is not None,
        },
        "digest": source.digest if source else None,
        "size": source.size if source else None,
        "file_count": source.file_count if source else None,
        "description": linked.description,
        "created_by": _user(linked.created_by),
        "created_at": iso(linked.created_at),
    }


def _one_model_version(linked: ModelVersion) -> dict[str, Any]:
    aliases = service.model_aliases_of([linked.id])[linked.id]
    return model_version_dict(linked, aliases, service.latest_model_number(linked.model))


def _model(resource: Team, model: str) -> RegisteredModel:
    return service.load_model(resource, model)


# --- models --------------------------------------------------------------------------------


@endpoint(
    api,
    MODELS,
    "GET",
    permission="registry:view",
    resource=load_team,
    query=PageQuery,
    summary="Registered models of the team",
)
def list_models(team: str, resource: Team, query: PageQuery):
    page = paginate(
        service.models_query(resource), RegisteredModel.id, cursor=query.cursor, limit=query.limit
    )
    summaries = service.model_summaries([m.id for m in page.items])
    return page_response(page, lambda m: model_dict(m, summaries.get(m.id)))


@endpoint(
    api,
    MODELS,
    "POST",
    permission="registry:write",
    resource=load_team,
    body=CreateModel,
    status=201,
    summary="Register a model",
)
def create_model(team: str, resource: Team, body: CreateModel):
    model = service.create_model(current_user, resource, body.name, body.description)
    return model_dict(model, None), 201


@endpoint(
    api,
    f"{MODELS}/<model>",
    "GET",
    permission="registry:view",
    resource=load_team,
    summary="One registered model",
)
def get_model(team: str, model: str, resource: Team):
    return _one_model(_model(resource, model))


@endpoint(
    api,
    f"{MODELS}/<model>",
    "PATCH",
    permission="registry:write",
    resource=load_team,
    body=UpdateModel,
    summary="Edit a model's description",
)
def update_model(team: str, model: str, resource: Team, body: UpdateModel):
    return _one_model(service.update_model(_model(resource, model), body.description))


@endpoint(
    api,
    f"{MODELS}/<model>",
    "DELETE",
    permission="registry:write",
    resource=load_team,
    status=204,
    summary="Delete a model and its links (registry admins if a protected alias is on it)",
)
def delete_model(team: str, model: str, resource: Team):
    service.delete_model(current_user, _model(resource, model))
    return "", 204


# --- model versions ------------------------------------------------------------------------


@endpoint(
    api,
    f"{MODELS}/<model>/versions",
    "GET",
    permission="registry:view",
    resource=load_team,
    query=PageQuery,
    summary="The model's versions (links to artifact versions), newest first",
)
def list_model_versions(team: str, model: str, resource: Team, query: PageQuery):
    found = _model(resource, model)
    page = paginate(
        service.model_versions_query(found),
        ModelVersion.version,
        cursor=query.cursor,
        limit=query.limit,
        descending=True,
    )
    aliases = service.model_aliases_of([v.id for v in page.items])
    latest = service.latest_model_number(found)
    return page_response(page, lambda v: model_version_dict(v, aliases[v.id], latest))


@endpoint(
    api,
    f"{MODELS}/<model>/versions",
    "POST",
    permission="registry:write",
    resource=load_team,
    body=LinkVersion,
    status=201,
    summary="Link a committed artifact version as the model's next version",
)
def link_version(team: str, model: str, resource: Team, body: LinkVersion):
    linked = service.link_version(
        current_user,
        resource,
        _model(resource, model),
        project=body.project,
        artifact=body.artifact,
        version=body.version,
        aliases=body.aliases,
        description=body.description,
    )
    return _one_model_version(linked), 201


@endpoint(
    api,
    f"{MODELS}/<model>/versions/<version>",
    "GET",
    permission="registry:view",
    resource=load_team,
    summary="One model version (v2, latest or an alias)",
)
def get_model_version(team: str, model: str, version: str, resource: Team):
    return _one_model_version(service.resolve_model_version(_model(resource, model), version))


@endpoint(
    api,
    f"{MODELS}/<model>/versions/<version>",
    "DELETE",
    permission="registry:write",
    resource=load_team,
    status=204,
    summary="Unlink a model version (the artifact stays)",
)
def unlink_version(team: str, model: str, version: str, resource: Team):
    linked = service.resolve_model_version(_model(resource, model), version)
    service.unlink_version(current_user, linked)
    return "", 204


@endpoint(
    api,
    f"{MODELS}/<model>/versions/<version>/download",
    "GET",
    permission="registry:write",
    resource=load_team,
    query=PageQuery,
    summary="Files of a model version with pre-signed download URLs",
)
def download_model_version(team: str, model: str, version: str, resource: Team, query: PageQuery):
    linked = service.resolve_model_version(_model(resource, model), version)
    source = service.require_source(linked)
    page = download_page(resource, source, query)
    return {"model": linked.model.name, "model_version": f"v{linked.version}", **page}


# --- aliases -------------------------------------------------------------------------------


@endpoint(
    api,
    f"{MODELS}/<model>/aliases",
    "GET",
    permission="registry:view",
    resource=load_team,
    query=PageQuery,
    summary="The model's aliases ('latest' is given separately)",
)
def list_model_aliases(team: str, model: str, resource: Team, query: PageQuery):
    found = _model(resource, model)
    page = paginate(
        service.model_aliases_query(found), ModelAlias.id, cursor=query.cursor, limit=query.limit
    )
    protected = service.protected_set(resource.id, [a.alias for a in page.items])
    body = page_response(
        page,
        lambda a: service.alias_dict(
            a.alias, a.model_version.version, protected=a.alias in protected
        ),
    )
    latest = service.latest_model_number(found)
    body["latest"] = None if latest is None else f"v{latest}"
    return body


@endpoint(
    api,
    f"{MODELS}/<model>/aliases/<alias>",
    "GET",
    permission="registry:view",
    resource=load_team,
    summary="The model version an alias names",
)
def get_model_alias(team: str, model: str, alias: str, resource: Team):
    return service.get_alias(_model(resource, model), alias)


@endpoint(
    api,
    f"{MODELS}/<model>/aliases/<alias>",
    "PUT",
    permission="registry:write",
    resource=load_team,
    body=SetModelAlias,
    summary="Set or move an alias (protected aliases: registry admins only)",
)
def set_model_alias(team: str, model: str, alias: str, resource: Team, body: SetModelAlias):
    found = _model(resource, model)
    return service.set_alias(current_user, found, alias, body.version, replace=body.replace)


@endpoint(
    api,
    f"{MODELS}/<model>/aliases/<alias>",
    "DELETE",
    permission="registry:write",
    resource=load_team,
    status=204,
    summary="Remove an alias (protected aliases: registry admins only)",
)
def delete_model_alias(team: str, model: str, alias: str, resource: Team):
    service.delete_alias(current_user, _model(resource, model), alias)
    return "", 204
