"""``/teams`` and ``/teams/{team}``: create, list, show, update, delete, restore."""

from __future__ import annotations

from typing import Any, Literal

from flask_login import current_user
from pydantic import BaseModel, Field

from ..auth import authorize
from ..models import Team
from ..services import teams as service
from . import api
from .pagination import PageQuery, page_response, paginate
from .routing import endpoint
from .serializers import iso


class ByobStorage(BaseModel):
    """A team's own bucket (secure storage connector, enterprise)."""

    provider: Literal["s3", "gcs"]
    bucket: str = Field(min_length=3, max_length=222)
    prefix: str = Field(default="", max_length=512)
    region: str = Field(default="", max_length=64)
    kms_key_id: str = Field(default="", max_length=2048)
    endpoint: str = Field(default="", max_length=512)
    credentials: dict[str, str] | None = Field(
        default=None, description="S3: access_key/secret_key; GCS: service_account_json."
    )


class CreateTeam(BaseModel):
    name: str = Field(min_length=2, max_length=64, description="Slug: a-z, 0-9 and '-'.")
    display_name: str = Field(default="", max_length=128)
    storage: Literal["internal"] | ByobStorage = Field(
        default="internal", description="'internal' (a bucket on the instance storage) or BYOB."
    )
    admin: str | None = Field(default=None, description="Username of the first admin.")


class UpdateTeam(BaseModel):
    display_name: str | None = Field(default=None, max_length=128)
    intro: str | None = Field(default=None, max_length=100_000)
    profile_visibility: Literal["public", "members"] | None = None
    links: list[dict[str, str]] | None = None
    showcase: list[dict[str, Any]] | None = None
    storage: Any = Field(default=None, description="Refused: storage cannot be migrated.")


class TeamsQuery(PageQuery):
    state: Literal["active", "deleted"] = Field(
        default="active", description="'deleted': teams awaiting purge (system admins)."
    )


class DeleteTeam(BaseModel):
    confirm: str = Field(description="The team name, typed again.")


def team_dict(team: Team) -> dict[str, Any]:
    return {
        "name": team.slug,
        "display_name": team.display_name,
        "state": team.state,
        "created_at": iso(team.created_at),
        "storage": {
            "kind": team.storage_kind,
            "bucket": team.bucket,
            **{k: v for k, v in (team.storage_config or {}).items() if k != "credentials"},
        },
        "profile": {
            "intro": team.intro,
            "visibility": team.profile_visibility,
            "links": team.links,
            "showcase": team.showcase,
        },
        "deleted_at": iso(team.deleted_at),
        "purge_after": iso(team.purge_after),
    }


def _team(team: str) -> Team:
    return service.load_team(team)


def _deleted_team(team: str) -> Team:
    return service.load_deleted_team(team)


@endpoint(
    api,
    "/teams",
    "GET",
    permission="team:list",
    query=TeamsQuery,
    summary="Teams I belong to (system admins: every team, or the deleted ones)",
)
def list_teams(query: TeamsQuery):
    if query.state == "deleted":
        authorize(current_user, "team:delete")  # restoring them is a system admin's task
        stmt = service.deleted_teams_query()
    else:
        stmt = service.teams_query(current_user)
    page = paginate(stmt, Team.id, cursor=query.cursor, limit=query.limit)
    return page_response(page, team_dict)


@endpoint(
    api,
    "/teams",
    "POST",
    permission="team:create",
    body=CreateTeam,
    status=201,
    summary="Create a team and provision its storage",
)
def create_team(body: CreateTeam):
    from ..services import users

    admin = users.get_by_username(body.admin) if body.admin else None
    storage = body.storage if isinstance(body.storage, str) else body.storage.model_dump()
    team = service.create_team(
        current_user, body.name, body.display_name, admin=admin, storage=storage
    )
    return team_dict(team), 201


@endpoint(
    api,
    "/teams/<team>",
    "GET",
    permission="team:view",
    resource=_team,
    summary="A team: display name, storage, profile",
)
def get_team(team: str, resource: Team):
    return team_dict(resource)


@endpoint(
    api,
    "/teams/<team>",
    "PATCH",
    permission="team:manage_settings",
    resource=_team,
    body=UpdateTeam,
    summary="Update display name and profile (storage cannot change)",
)
def update_team(team: str, resource: Team, body: UpdateTeam):
    changes = body.model_dump(exclude_unset=True)
    return team_dict(service.update_team(resource, changes))


@endpoint(
    api,
    "/teams/<team>",
    "DELETE",
    permission="team:delete",
    body=DeleteTeam,
    summary="Delete a team (restorable until the retention period ends)",
)
def delete_team(team: str, body: DeleteTeam):
    return team_dict(service.delete_team(service.load_team(team), body.confirm))


@endpoint(
    api,
    "/teams/<team>/restore",
    "POST",
    permission="team:delete",
    summary="Restore a deleted team within the retention period",
)
def restore_team(team: str):
    return team_dict(service.restore_team(service.load_deleted_team(team)))
