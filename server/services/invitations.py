"""Team invitations: an existing user joins at once; an unknown e-mail gets a one-time link."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .. import clock
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..models import Membership, Team, TeamInvitation, User
from . import audit, memberships
from .users import normalise_email


@dataclass
class InviteResult:
    membership: Membership | None = None
    invitation: TeamInvitation | None = None
    link: str | None = None
    email_sent: bool = False
    email_error: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    team: Team, *, email: str | None, username: str | None, role_name: str, invited_by
) -> InviteResult:
    """Add the user named by ``username`` or ``email``, or invite an unknown e-mail."""
    if username:
        user = db.session.scalar(select(User).where(User.username == username.lower()))
        if user is None or user.is_service_account:
            raise NotFound(f"No user named {username!r}.", code="user_not_found")
        return InviteResult(
            membership=memberships.add_member(team, user=user, role_name_=role_name)
        )
    email = normalise_email(email or "")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return InviteResult(
            membership=memberships.add_member(team, user=user, role_name_=role_name)
        )
    role, custom = memberships.resolve_role(role_name)
    token = secrets.token_urlsafe(32)
    days = current_app.config["OUTPOST"].invitation_days
    invitation = TeamInvitation(
        team_id=team.id,
        email=email,
        role=role,
        custom_role_id=custom.id if custom else None,
        token_hash=_digest(token),
        invited_by_id=invited_by.id,
        expires_at=clock.now() + timedelta(days=days),
    )
    db.session.add(invitation)
    audit.record(
        "member:invite",
        target_type="invitation",
        target_name=email,
        team_id=team.id,
        details={"role": role_name},
    )
    db.session.commit()
    base = current_app.config["OUTPOST"].url.rstrip("/")
    link = f"{base}/invitations/{token}"
    sent, error = _send_invitation(team, invitation, link)
    return InviteResult(invitation=invitation, link=link, email_sent=sent, email_error=error)


def _send_invitation(team: Team, invitation: TeamInvitation, link: str) -> tuple[bool, str | None]:
    """E-mail the link when SMTP is set up; a failure keeps the invitation and says why."""
    from ..errors import OutpostError
    from . import mail
    from .system_settings import get_setting

    if not mail.is_configured():
        return False, "E-mail is not set up (no SMTP server): pass the link on yourself."
    name = get_setting("instance_name") or "Outpost"
    text = (
        f"You are invited to join the team {team.slug} on {name}.\n\n"
        f"Open this link to join (and create your account if you have none):\n{link}\n\n"
        f"The link works once and expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC.\n"
    )
    try:
        mail.send_mail(invitation.email, f"You are invited to the team {team.slug}", text)
    except OutpostError as exc:
        return False, exc.message
    return True, None


def load_invitation(token: str) -> TeamInvitation:
    invitation = db.session.scalar(
        select(TeamInvitation).where(TeamInvitation.token_hash == _digest(token))
    )
    if (
        invitation is None
        or invitation.accepted_at is not None
        or (invitation.expires_at <= clock.now())
    ):
        raise NotFound(
            "This invitation link is invalid, used or expired. Ask a team admin for a new one.",
            code="invitation_invalid",
        )
    return invitation


def accept(token: str, principal) -> Membership:
    """Join the team as invited. Only the invited e-mail's account may accept."""
    invitation = load_invitation(token)
    user = db.session.get(User, principal.id)
    if user.email != invitation.email:
        raise Forbidden(
            f"This invitation was sent to {invitation.email}; sign in with that "
            "account to accept it.",
            code="invitation_for_another_user",
        )
    membership = db.session.scalar(
        select(Membership).where(
            Membership.team_id == invitation.team_id, Membership.user_id == user.id
        )
    )
    if membership is None:
        membership = Membership(
            team_id=invitation.team_id,
            user_id=user.id,
            role=invitation.role,
            custom_role_id=invitation.custom_role_id,
        )
        db.session.add(membership)
    invitation.accepted_at = clock.now()
    audit.record("member:join", target=user, team_id=invitation.team_id)
    db.session.commit()
    return membership


def join_as_new_user(token: str, *, username: str, display_name: str, password: str) -> Membership:
    """Someone with no account opens a team invitation: create their account with the invited
    e-mail and join the team as invited. Raises NotFound (``invitation_invalid``), and what
    ``users.create_user`` raises: ValidationFailed (``invalid_username``, ``weak_password``),
    Conflict (``user_exists``, ``seat_limit_reached``)."""
    from . import users

    invitation = load_invitation(token)
    user = users.create_user(
        username, invitation.email, password, display_name=(display_name or "").strip()
    )
    return accept(token, user)
