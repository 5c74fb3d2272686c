"""``/Groups``: teams. Create, read, list/filter, rename, members add/remove, delete (the
team is deleted as a system admin deletes it: restorable until the retention period ends)."""

from __future__ import annotations

from flask import request
from flask_login import current_user
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
from .resources import Group
from .shaping import dump, group_resource, location, member_ids, version_of


def _load(resource_id: str):
    team = scim_queries.load_provisioned_team(resource_id)
    if team is None:
        raise ScimError(404, f"No group with id {resource_id!r}.")
    return team


def _resource(team) -> Group:
    return group_resource(team, scim_queries.member_ids([team.id])[team.id])


def _respond(team, ctx: Context, status: int = 200, params=None):
    resource = _resource(team)
    payload = dump(resource, ctx, params)
    headers = {"ETag": version_of(resource)}
    if status == 201:
        headers["Location"] = location("get_group", team.id)
    return scim_response(payload, status, **headers)


def _list(source: dict, ctx: Context):
    search = search_request(Group, source)
    start, count = page_bounds(search)
    page = scim_queries.team_page(search.filter.ast if search.filter else None, start, count)
    teams = [team for (team,) in page.items]
    members = scim_queries.member_ids([team.id for team in teams])
    resources = [dump(group_resource(team, members[team.id]), ctx, search) for team in teams]
    return list_response(page.total, start, resources)


@scim_view
def list_groups():
    return _list(request.args.to_dict(), Context.RESOURCE_QUERY_RESPONSE)


@scim_view
def search_groups():
    return _list(read_json(), Context.SEARCH_RESPONSE)


@scim_view
def create_group():
    resource = validate(Group, read_json(), Context.RESOURCE_CREATION_REQUEST)
    team = provisioning.create_team(
        resource.display_name or "",
        external_id=resource.external_id,
        member_ids=member_ids(resource),
        actor=current_user,
    )
    return _respond(team, Context.RESOURCE_CREATION_RESPONSE, status=201)


@scim_view
def get_group(resource_id: str):
    team = _load(resource_id)
    params = validate(
        ResponseParameters[Group], request.args.to_dict(), Context.RESOURCE_QUERY_REQUEST
    )
    version = version_of(_resource(team))
    if not_modified(version):
        return scim_response(None, 304, ETag=version)
    return _respond(team, Context.RESOURCE_QUERY_RESPONSE, params=params)


def _update(team, resource: Group, *, members: bool):
    provisioning.update_team(
        team,
        display_name=resource.display_name or "",
        external_id=resource.external_id,
        member_ids=member_ids(resource) if members else None,
    )


@scim_view
def replace_group(resource_id: str):
    team = _load(resource_id)
    check_if_match(version_of(_resource(team)))
    resource = validate(Group, read_json(), Context.RESOURCE_REPLACEMENT_REQUEST)
    _update(team, resource, members=True)
    return _respond(team, Context.RESOURCE_REPLACEMENT_RESPONSE)


@scim_view
def patch_group(resource_id: str):
    team = _load(resource_id)
    current = _resource(team)
    check_if_match(version_of(current))
    patched = apply_patch(PatchOp[Group], current)
    _update(team, patched, members=True)
    return _respond(team, Context.RESOURCE_PATCH_RESPONSE)


@scim_view
def delete_group(resource_id: str):
    team = _load(resource_id)
    check_if_match(version_of(_resource(team)))
    provisioning.delete_team(team)
    return scim_response(None, 204)
