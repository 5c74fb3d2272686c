"""``/Roles``: instance-wide custom roles (enterprise). Creating and changing one needs a
license with ``custom_roles``; deleting is always allowed and puts holders on the base role."""

from __future__ import annotations

from flask import request
from scim2_models import Context, PatchOp, ResponseParameters

from ..services import provisioning, roles, scim_queries
from .protocol import (
    ScimError,
    apply_patch,
    check_if_match,
    list_response,
    not_modified,
    page_bounds,
    read_json,
    scim_response,
    scim_view,
    search_request,
    validate,
)
from .resources import Role
from .shaping import dump, location, role_resource, version_of


def _load(resource_id: str):
    role = scim_queries.load_role(resource_id)
    if role is None:
        raise ScimError(404, f"No role with id {resource_id!r}.")
    return role


def _respond(role, ctx: Context, status: int = 200, params=None):
    resource = role_resource(role)
    payload = dump(resource, ctx, params)
    headers = {"ETag": version_of(resource)}
    if status == 201:
        headers["Location"] = location("get_role", role.id)
    return scim_response(payload, status, **headers)


def _list(source: dict, ctx: Context):
    search = search_request(Role, source)
    start, count = page_bounds(search)
    page = scim_queries.role_page(search.filter.ast if search.filter else None, start, count)
    resources = [dump(role_resource(role), ctx, search) for (role,) in page.items]
    return list_response(page.total, start, resources)


@scim_view
def list_roles():
    return _list(request.args.to_dict(), Context.RESOURCE_QUERY_RESPONSE)


@scim_view
def search_roles():
    return _list(read_json(), Context.SEARCH_RESPONSE)


@scim_view
def create_role():
    resource = validate(Role, read_json(), Context.RESOURCE_CREATION_REQUEST)
    role = provisioning.create_role(
        resource.name or "",
        resource.inherited_from or "",
        list(resource.permissions or []),
        resource.description or "",
        external_id=resource.external_id,
    )
    return _respond(role, Context.RESOURCE_CREATION_RESPONSE, status=201)


@scim_view
def get_role(resource_id: str):
    role = _load(resource_id)
    params = validate(
        ResponseParameters[Role], request.args.to_dict(), Context.RESOURCE_QUERY_REQUEST
    )
    version = version_of(role_resource(role))
    if not_modified(version):
        return scim_response(None, 304, ETag=version)
    return _respond(role, Context.RESOURCE_QUERY_RESPONSE, params=params)


def _update(role, resource: Role):
    if resource.name and resource.name != role.name:
        raise ScimError(400, "A role's name cannot change.", "mutability")
    provisioning.update_role(
        role,
        base=resource.inherited_from or role.base,
        permissions=list(resource.permissions or []),
        description=resource.description or "",
        external_id=resource.external_id,
    )


@scim_view
def replace_role(resource_id: str):
    role = _load(resource_id)
    check_if_match(version_of(role_resource(role)))
    _update(role, validate(Role, read_json(), Context.RESOURCE_REPLACEMENT_REQUEST))
    return _respond(role, Context.RESOURCE_REPLACEMENT_RESPONSE)


@scim_view
def patch_role(resource_id: str):
    role = _load(resource_id)
    current = role_resource(role)
    check_if_match(version_of(current))
    _update(role, apply_patch(PatchOp[Role], current))
    return _respond(role, Context.RESOURCE_PATCH_RESPONSE)


@scim_view
def delete_role(resource_id: str):
    role = _load(resource_id)
    check_if_match(version_of(role_resource(role)))
    roles.delete_role(role)
    return scim_response(None, 204)
