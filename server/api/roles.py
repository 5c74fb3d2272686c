"""``/roles``: built-in roles and instance-wide custom roles."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..auth.permissions import BUILTIN_ROLES
from ..models import CustomRole
from ..services import roles as service
from . import api
from .pagination import PageQuery, page_response, paginate
from .routing import endpoint
from .serializers import iso


class CreateRole(BaseModel):
    name: str = Field(min_length=1, max_length=63)
    base: str = Field(description="'view-only' or 'member'")
    permissions: list[str] = Field(default_factory=list, description="Extra team permissions.")
    description: str = Field(default="", max_length=255)


class UpdateRole(BaseModel):
    base: str | None = None
    permissions: list[str] | None = None
    description: str | None = Field(default=None, max_length=255)


def role_dict(role: CustomRole) -> dict:
    return {
        "name": role.name,
        "base": role.base,
        "permissions": role.permissions,
        "description": role.description,
        "custom": True,
        "created_at": iso(role.created_at),
    }


@endpoint(
    api,
    "/roles",
    "GET",
    permission="role:list",
    query=PageQuery,
    summary="Built-in roles (first page) and custom roles",
)
def list_roles(query: PageQuery):
    page = paginate(service.roles_query(), CustomRole.id, cursor=query.cursor, limit=query.limit)
    body = page_response(page, role_dict)
    if not query.cursor:
        body["builtin"] = [
            {"name": name, "permissions": sorted(grants), "custom": False}
            for name, grants in BUILTIN_ROLES.items()
        ]
    return body


@endpoint(
    api,
    "/roles",
    "POST",
    permission="system:roles",
    body=CreateRole,
    status=201,
    summary="Create a custom role (license feature custom_roles)",
)
def create_role(body: CreateRole):
    role = service.create_role(body.name, body.base, body.permissions, body.description)
    return role_dict(role), 201


@endpoint(api, "/roles/<name>", "GET", permission="role:list", summary="One custom role")
def get_role(name: str):
    return role_dict(service.load_role(name))


@endpoint(
    api,
    "/roles/<name>",
    "PATCH",
    permission="system:roles",
    body=UpdateRole,
    summary="Change a custom role's base, permissions or description",
)
def update_role(name: str, body: UpdateRole):
    role = service.update_role(
        service.load_role(name),
        base=body.base,
        permissions=body.permissions,
        description=body.description,
    )
    return role_dict(role)


@endpoint(
    api,
    "/roles/<name>",
    "DELETE",
    permission="system:roles",
    summary="Delete a custom role; its holders return to its base role",
)
def delete_role(name: str):
    moved = service.delete_role(service.load_role(name))
    return {"deleted": name, "members_moved_to_base": moved}
