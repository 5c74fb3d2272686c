"""``/teams/{team}/registry/protected-aliases`` and ``/teams/{team}/registry/admins``: what
registry admins look after."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from ..models import Membership, ProtectedAlias, Team
from ..services import registry_admins as service
from . import api
from .members import member_dict
from .pagination import PageQuery, page_response, paginate
from .registry import BASE, _user, load_team
from .routing import endpoint
from .serializers import iso


class AddProtectedAlias(BaseModel):
    alias: str = Field(min_length=1, max_length=64)


class AddRegistryAdmin(BaseModel):
    username: str = Field(min_length=1, max_length=64)


# --- protected aliases ---------------------------------------------------------------------


def protected_dict(row: ProtectedAlias) -> dict[str, Any]:
    return {
        "alias": row.alias,
        "created_by": _user(row.created_by),
        "created_at": iso(row.created_at),
    }


@endpoint(
    api,
    f"{BASE}/protected-aliases",
    "GET",
    permission="registry:view",
    resource=load_team,
    query=PageQuery,
    summary="Aliases only registry admins may set or remove",
)
def list_protected_aliases(team: str, resource: Team, query: PageQuery):
    page = paginate(
        service.protected_query(resource), ProtectedAlias.id, cursor=query.cursor, limit=query.limit
    )
    return page_response(page, protected_dict)


@endpoint(
    api,
    f"{BASE}/protected-aliases",
    "POST",
    permission="registry:manage_protected_aliases",
    resource=load_team,
    body=AddProtectedAlias,
    status=201,
    summary="Protect an alias name (registry admins)",
)
def add_protected_alias(team: str, resource: Team, body: AddProtectedAlias):
    return protected_dict(service.add_protected(current_user, resource, body.alias)), 201


@endpoint(
    api,
    f"{BASE}/protected-aliases/<alias>",
    "DELETE",
    permission="registry:manage_protected_aliases",
    resource=load_team,
    status=204,
    summary="Stop protecting an alias name (registry admins)",
)
def remove_protected_alias(team: str, alias: str, resource: Team):
    service.remove_protected(resource, alias)
    return "", 204


# --- registry admins -----------------------------------------------------------------------


@endpoint(
    api,
    f"{BASE}/admins",
    "GET",
    permission="registry:view",
    resource=load_team,
    query=PageQuery,
    summary="Members holding the registry-admin flag",
)
def list_registry_admins(team: str, resource: Team, query: PageQuery):
    page = paginate(
        service.admins_query(resource), Membership.id, cursor=query.cursor, limit=query.limit
    )
    return page_response(page, member_dict)


@endpoint(
    api,
    f"{BASE}/admins",
    "POST",
    permission="registry:manage_admins",
    resource=load_team,
    body=AddRegistryAdmin,
    status=201,
    summary="Make a member registry admin (team admins and registry admins)",
)
def add_registry_admin(team: str, resource: Team, body: AddRegistryAdmin):
    return member_dict(service.set_registry_admin(resource, body.username, True)), 201


@endpoint(
    api,
    f"{BASE}/admins/<username>",
    "DELETE",
    permission="registry:manage_admins",
    resource=load_team,
    status=204,
    summary="Take a member's registry-admin flag away",
)
def remove_registry_admin(team: str, username: str, resource: Team):
    service.set_registry_admin(resource, username, False)
    return "", 204
