"""``/teams/{team}/members``: invite, list, change role, remove."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field, model_validator

from ..models import Membership, Team
from ..services import invitations, memberships
from ..services import teams as team_service
from . import api
from .pagination import PageQuery, page_response, paginate
from .routing import endpoint
from .serializers import iso


class AddMember(BaseModel):
    email: str | None = Field(default=None, max_length=254)
    username: str | None = Field(default=None, max_length=64)
    role: str = Field(default="member", description="admin, member, view-only or a custom role")

    @model_validator(mode="after")
    def one_identity(self):
        if bool(self.email) == bool(self.username):
            raise ValueError("give exactly one of email or username")
        return self


class UpdateMember(BaseModel):
    role: str | None = None
    registry_admin: bool | None = None


def member_dict(membership: Membership) -> dict[str, Any]:
    user = membership.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "kind": user.kind,
        "role": memberships.role_name(membership),
        "registry_admin": membership.registry_admin,
        "joined_at": iso(membership.created_at),
    }


def _team(team: str) -> Team:
    return team_service.load_team(team)


@endpoint(
    api,
    "/teams/<team>/members",
    "GET",
    permission="team:view",
    resource=_team,
    query=PageQuery,
    summary="Members with their roles",
)
def list_members(team: str, resource: Team, query: PageQuery):
    page = paginate(
        memberships.members_query(resource), Membership.id, cursor=query.cursor, limit=query.limit
    )
    body = page_response(page, member_dict)
    body["admin_count"] = memberships.admin_count(resource)
    return body


@endpoint(
    api,
    "/teams/<team>/members",
    "POST",
    permission="team:manage_members",
    resource=_team,
    body=AddMember,
    status=201,
    summary="Add a user by username or e-mail; unknown e-mails get an invitation link",
)
def add_member(team: str, resource: Team, body: AddMember):
    result = invitations.invite(
        resource,
        email=body.email,
        username=body.username,
        role_name=body.role,
        invited_by=current_user,
    )
    if result.membership is not None:
        return {"status": "added", "member": member_dict(result.membership)}, 201
    return {
        "status": "invited",
        "email": result.invitation.email,
        "role": body.role,
        "invite_url": result.link,
        "expires_at": iso(result.invitation.expires_at),
        "email_sent": result.email_sent,
        "email_error": result.email_error,
    }, 201


@endpoint(
    api,
    "/teams/<team>/members/<username>",
    "GET",
    permission="team:view",
    resource=_team,
    summary="One member",
)
def get_member(team: str, username: str, resource: Team):
    return member_dict(memberships.load_membership(resource, username))


@endpoint(
    api,
    "/teams/<team>/members/<username>",
    "PATCH",
    permission="team:manage_members",
    resource=_team,
    body=UpdateMember,
    summary="Change a member's role or registry-admin flag",
)
def update_member(team: str, username: str, resource: Team, body: UpdateMember):
    membership = memberships.load_membership(resource, username)
    updated = memberships.update_member(
        membership,
        role_name_=body.role,
        registry_admin=body.registry_admin,
        actor=current_user._get_current_object(),
    )
    return member_dict(updated)


@endpoint(
    api,
    "/teams/<team>/members/<username>",
    "DELETE",
    permission="team:manage_members",
    resource=_team,
    status=204,
    summary="Remove a member (what they created stays, attributed to them)",
)
def remove_member(team: str, username: str, resource: Team):
    memberships.remove_member(
        memberships.load_membership(resource, username), actor=current_user._get_current_object()
    )
    return "", 204


@endpoint(
    api,
    "/invitations/<token>/accept",
    "POST",
    permission="invitation:accept",
    summary="Accept a team invitation sent to my e-mail",
)
def accept_invitation(token: str):
    membership = invitations.accept(token, current_user)
    return {"team": membership.team.slug, "role": memberships.role_name(membership)}
