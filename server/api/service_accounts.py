"""``/teams/{team}/service-accounts``: non-human principals of one team."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..models import Team, User
from ..services import service_accounts as service
from ..services import teams as team_service
from . import api
from .pagination import PageQuery, page_response, paginate
from .routing import endpoint
from .serializers import iso


class CreateServiceAccount(BaseModel):
    name: str = Field(min_length=1, max_length=40, description="Short name, e.g. 'ci'.")
    description: str = Field(default="", max_length=128)


def account_dict(account: User) -> dict:
    return {
        "username": account.username,
        "display_name": account.display_name,
        "state": account.state,
        "created_at": iso(account.created_at),
        "last_active_at": iso(account.last_active_at),
    }


def _team(team: str) -> Team:
    return team_service.load_team(team)


@endpoint(
    api,
    "/teams/<team>/service-accounts",
    "GET",
    permission="service_account:manage",
    resource=_team,
    query=PageQuery,
    summary="The team's service accounts (team admins)",
)
def list_service_accounts(team: str, resource: Team, query: PageQuery):
    page = paginate(
        service.service_accounts_query(resource).where(User.state == "active"),
        User.id,
        cursor=query.cursor,
        limit=query.limit,
    )
    return page_response(page, account_dict)


@endpoint(
    api,
    "/teams/<team>/service-accounts",
    "POST",
    permission="service_account:manage",
    resource=_team,
    body=CreateServiceAccount,
    status=201,
    summary="Create a service account; its API key is in this response only",
)
def create_service_account(team: str, resource: Team, body: CreateServiceAccount):
    account, key = service.create_service_account(resource, body.name, body.description)
    return {**account_dict(account), "key": key}, 201


@endpoint(
    api,
    "/teams/<team>/service-accounts/<name>",
    "DELETE",
    permission="service_account:manage",
    resource=_team,
    status=204,
    summary="Delete a service account; its keys stop working at once",
)
def delete_service_account(team: str, name: str, resource: Team):
    service.delete_service_account(service.load_service_account(resource, name))
    return "", 204
