"""``/Users``: provision, read, list/filter, replace, patch and deprovision users."""

from __future__ import annotations

from flask import request
from scim2_models import Context, PatchOp, ResponseParameters

from ..services import provisioning, scim_queries
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
from .resources import SCHEMA_TEAM_ROLES
from .resources import User as ScimUser
from .shaping import dump, location, user_resource, user_spec, version_of


def _load(resource_id: str):
    found = scim_queries.user_with_team_roles(resource_id)
    if found is None:
        raise ScimError(404, f"No user with id {resource_id!r}.")
    return found


def _current(resource_id: str):
    user, team_roles = _load(resource_id)
    return user, user_resource(user, team_roles)


def _respond(user, ctx: Context, status: int = 200, params=None):
    user, team_roles = _load(str(user.id))  # re-read: memberships may have changed
    resource = user_resource(user, team_roles)
    payload = dump(resource, ctx, params)
    headers = {"ETag": version_of(resource)}
    if status == 201:
        headers["Location"] = location("get_user", user.id)
    return scim_response(payload, status, **headers)


def _params() -> ResponseParameters:
    return validate(
        ResponseParameters[ScimUser], request.args.to_dict(), Context.RESOURCE_QUERY_REQUEST
    )


def _list(source: dict, ctx: Context):
    search = search_request(ScimUser, source)
    start, count = page_bounds(search)
    page = scim_queries.user_page(search.filter.ast if search.filter else None, start, count)
    resources = [dump(user_resource(u, roles), ctx, search) for u, roles in page.items]
    return list_response(page.total, start, resources)


@scim_view
def list_users():
    return _list(request.args.to_dict(), Context.RESOURCE_QUERY_RESPONSE)


@scim_view
def search_users():
    return _list(read_json(), Context.SEARCH_RESPONSE)


@scim_view
def create_user():
    payload = read_json()
    resource = validate(ScimUser, payload, Context.RESOURCE_CREATION_REQUEST)
    user = provisioning.create_user(user_spec(resource, with_team_roles=True, payload=payload))
    return _respond(user, Context.RESOURCE_CREATION_RESPONSE, status=201)


@scim_view
def get_user(resource_id: str):
    user, resource = _current(resource_id)
    params = _params()
    if not_modified(version_of(resource)):
        return scim_response(None, 304, ETag=version_of(resource))
    return _respond(user, Context.RESOURCE_QUERY_RESPONSE, params=params)


@scim_view
def replace_user(resource_id: str):
    user, current = _current(resource_id)
    check_if_match(version_of(current))
    payload = read_json()
    resource = validate(ScimUser, payload, Context.RESOURCE_REPLACEMENT_REQUEST)
    # A client that does not know Outpost's extension leaves memberships as they are.
    with_roles = any(key.lower() == SCHEMA_TEAM_ROLES.lower() for key in payload)
    provisioning.update_user(user, user_spec(resource, with_team_roles=with_roles, payload=payload))
    return _respond(user, Context.RESOURCE_REPLACEMENT_RESPONSE)


@scim_view
def patch_user(resource_id: str):
    user, current = _current(resource_id)
    check_if_match(version_of(current))
    patched = apply_patch(PatchOp[ScimUser], current)
    provisioning.update_user(user, user_spec(patched, with_team_roles=True))
    return _respond(user, Context.RESOURCE_PATCH_RESPONSE)


@scim_view
def delete_user(resource_id: str):
    user, current = _current(resource_id)
    check_if_match(version_of(current))
    provisioning.deprovision_user(user)
    return scim_response(None, 204)
