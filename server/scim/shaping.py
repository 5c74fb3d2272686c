"""Outpost rows as SCIM resources, and SCIM resources as the specs services take."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from scim2_models import Context, Meta, ResponseParameters

from ..models import CustomRole, Team, User
from ..services.provisioning import UserSpec, user_name_of
from .protocol import ScimError, etag_of
from .resources import Group, GroupMember, Role, TeamRole, TeamRoles, UserEmail
from .resources import User as ScimUser


def location(endpoint: str, resource_id: int | str | None = None) -> str:
    """The resource's URL under the prefix the client used (``/scim/v2`` or ``/scim``)."""
    args = {} if resource_id is None else {"resource_id": str(resource_id)}
    return url_for(f"{request.blueprint}.{endpoint}", _external=True, **args)


def _meta(resource_type: str, created, endpoint: str, resource_id: int) -> Meta:
    return Meta(
        resource_type=resource_type,
        created=created,
        location=location(endpoint, resource_id),
    )


def user_resource(user: User, team_roles: list[tuple[int, str]]) -> ScimUser:
    resource = ScimUser(
        id=str(user.id),
        external_id=user.external_id,
        user_name=user_name_of(user),
        display_name=user.display_name or None,
        active=user.state == "active",
        emails=[UserEmail(value=user.email, type="work")] if user.email else None,
        meta=_meta("User", user.created_at, "get_user", user.id),
    )
    if team_roles:
        resource[TeamRoles] = TeamRoles(
            team_roles=[
                TeamRole(value=str(team_id), ref=location("get_group", team_id), role=role)
                for team_id, role in team_roles
            ]
        )
    return resource


def group_resource(team: Team, member_ids: list[int]) -> Group:
    members = [
        GroupMember(value=str(user_id), ref=location("get_user", user_id), type="User")
        for user_id in member_ids
    ]
    return Group(
        id=str(team.id),
        external_id=team.external_id,
        display_name=team.display_name or team.slug,
        members=members or None,
        meta=_meta("Group", team.created_at, "get_group", team.id),
    )


def role_resource(role: CustomRole) -> Role:
    return Role(
        id=str(role.id),
        external_id=role.external_id,
        name=role.name,
        description=role.description or None,
        inherited_from=role.base,
        permissions=list(role.permissions) or None,
        meta=_meta("Role", role.created_at, "get_role", role.id),
    )


def dump(resource, ctx: Context, params: ResponseParameters | None = None) -> dict[str, Any]:
    """The resource as JSON with its ETag in ``meta.version`` (computed on the whole resource,
    whatever ``attributes`` selects)."""
    payload = resource.model_dump(scim_ctx=ctx, response_parameters=params)
    if "meta" in payload:
        payload["meta"]["version"] = version_of(resource)
    return payload


def version_of(resource) -> str:
    return etag_of(resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _primary_email(resource: ScimUser, payload: dict | None = None) -> str | None:
    """The one address Outpost keeps: the one marked primary in the request, else the work
    address, else the first."""
    emails = [email for email in resource.emails or [] if email.value]
    if not emails:
        return None
    sent = [e for e in (payload or {}).get("emails") or [] if isinstance(e, dict)]
    primary = {str(e.get("value", "")).lower() for e in sent if e.get("primary") in (True, "true")}
    chosen = next((e for e in emails if str(e.value).lower() in primary), None) or next(
        (e for e in emails if str(e.type or "").lower() == "work"), emails[0]
    )
    return str(chosen.value)


def _team_roles(extension: TeamRoles | None) -> dict[int, str]:
    wanted: dict[int, str] = {}
    for entry in (extension.team_roles if extension else None) or []:
        try:
            team_id = int(str(entry.value))
        except ValueError:
            message = f"teamRoles: no team with id {entry.value!r}."
            raise ScimError(400, message, "invalidValue") from None
        wanted[team_id] = entry.role or "member"
    return wanted


def _name_from(payload: dict | None) -> str | None:
    """A display name from the RFC ``name`` attribute (Entra ID sends no displayName), which
    Outpost does not keep as such."""
    name = (payload or {}).get("name")
    if not isinstance(name, dict):
        return None
    formatted = name.get("formatted")
    parts = [name.get("givenName"), name.get("familyName")]
    text = formatted if isinstance(formatted, str) and formatted.strip() else None
    return text or " ".join(p for p in parts if isinstance(p, str) and p.strip()) or None


def user_spec(
    resource: ScimUser, *, with_team_roles: bool, payload: dict | None = None
) -> UserSpec:
    """The service spec for a SCIM User. Without ``with_team_roles`` memberships are left
    alone (a PUT from a client that does not know Outpost's extension)."""
    return UserSpec(
        user_name=resource.user_name or "",
        display_name=resource.display_name or _name_from(payload),
        email=_primary_email(resource, payload),
        active=True if resource.active is None else bool(resource.active),
        external_id=resource.external_id,
        team_roles=_team_roles(resource[TeamRoles]) if with_team_roles else None,
    )


def member_ids(resource: Group) -> list[int]:
    ids = []
    for member in resource.members or []:
        try:
            ids.append(int(str(member.value)))
        except ValueError:
            message = f"members: no user with id {member.value!r}."
            raise ScimError(400, message, "invalidValue") from None
    return ids
