"""``/teams/{team}/invitations``: the invitations a team sent to e-mails without an account,
not accepted yet: list, revoke, resend. Governed like inviting (``team:manage_members``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..models import Team, TeamInvitation
from ..services import invitations, memberships
from ..services import teams as team_service
from . import api
from .pagination import PageQuery, page_response, paginate
from .routing import endpoint
from .serializers import iso

INVITATION = "/teams/<team>/invitations/<int:invitation_id>"


class InvitationQuery(PageQuery):
    state: Literal["pending", "expired"] | None = Field(
        default=None, description="Only pending (link still works) or expired invitations."
    )


def invitation_dict(invitation: TeamInvitation) -> dict[str, Any]:
    """An invitation as team admins see it: never its token or the token's digest."""
    inviter = invitation.invited_by
    return {
        "id": invitation.id,
        "email": invitation.email,
        "role": memberships.role_name(invitation),
        "invited_by": inviter.username if inviter else None,
        "created_at": iso(invitation.created_at),
        "expires_at": iso(invitation.expires_at),
        "state": invitations.invitation_state(invitation),
    }


def _team(team: str) -> Team:
    return team_service.load_team(team)


@endpoint(
    api,
    "/teams/<team>/invitations",
    "GET",
    permission="team:manage_members",
    resource=_team,
    query=InvitationQuery,
    summary="Invitations sent to e-mails without an account, not accepted yet",
)
def list_invitations(team: str, resource: Team, query: InvitationQuery):
    page = paginate(
        invitations.open_invitations_query(resource, query.state),
        TeamInvitation.id,
        cursor=query.cursor,
        limit=query.limit,
    )
    return page_response(page, invitation_dict)


@endpoint(
    api,
    INVITATION,
    "DELETE",
    permission="team:manage_members",
    resource=_team,
    status=204,
    summary="Revoke an invitation: its link stops working at once",
)
def revoke_invitation(team: str, invitation_id: int, resource: Team):
    invitations.revoke(invitations.load_open_invitation(resource, invitation_id))
    return "", 204


@endpoint(
    api,
    INVITATION + "/resend",
    "POST",
    permission="team:manage_members",
    resource=_team,
    status=201,
    summary="A fresh invitation link (the old one stops working), e-mailed when SMTP is set up",
)
def resend_invitation(team: str, invitation_id: int, resource: Team):
    invitation = invitations.load_open_invitation(resource, invitation_id)
    result = invitations.resend(resource, invitation)
    return {
        **invitation_dict(result.invitation),
        "invite_url": result.link,
        "email_sent": result.email_sent,
        "email_error": result.email_error,
    }, 201
