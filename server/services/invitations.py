"""Team invitations: an existing user joins at once; an unknown e-mail gets a one-time link.
Team admins list the links nobody accepted yet, resend them (a fresh link) or revoke them."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..errors import Conflict, Forbidden, NotFound
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
            membership=memberships.add_member(
                team, user=user, role_name_=role_name, actor=invited_by
            )
        )
    email = normalise_email(email or "")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return InviteResult(
            membership=memberships.add_member(
                team, user=user, role_name_=role_name, actor=invited_by
            )
        )
    role, custom = memberships.resolve_role(role_name)
    memberships.check_role_change(invited_by, team, new=memberships.grants_of_role(role, custom))
    earlier = db.session.scalar(
        select(TeamInvitation).where(
            TeamInvitation.team_id == team.id,
            TeamInvitation.email == email,
            TeamInvitation.accepted_at.is_(None),
        )
    )
    if earlier is not None and earlier.expires_at > clock.now():
        raise Conflict(
            f"{email} is already invited to {team.slug}; resend or revoke that invitation.",
            code="already_invited",
            invitation_id=earlier.id,
        )
    if earlier is not None:  # an expired link gives way to the new one
        db.session.delete(earlier)
    invitation = TeamInvitation(
        team_id=team.id,
        email=email,
        role=role,
        custom_role_id=custom.id if custom else None,
        invited_by_id=invited_by.id,
    )
    link = _new_link(invitation)
    db.session.add(invitation)
    audit.record(
        "member:invite",
        target_type="invitation",
        target_name=email,
        team_id=team.id,
        details={"role": role_name},
    )
    db.session.commit()
    sent, error = _send_invitation(team, invitation, link)
    return InviteResult(invitation=invitation, link=link, email_sent=sent, email_error=error)


def _new_link(invitation: TeamInvitation) -> str:
    """Give ``invitation`` a fresh token and expiry (any earlier link stops working); returns
    the link, whose token is stored only as its digest."""
    token = secrets.token_urlsafe(32)
    days = current_app.config["OUTPOST"].invitation_days
    invitation.token_hash = _digest(token)
    invitation.expires_at = clock.now() + timedelta(days=days)
    base = current_app.config["OUTPOST"].url.rstrip("/")
    return f"{base}/invitations/{token}"


def _send_invitation(team: Team, invitation: TeamInvitation, link: str) -> tuple[bool, str | None]:
    """E-mail the link when SMTP is set up; a failure keeps the invitation and says why."""
    from . import mail
    from .system_settings import get_setting

    name = get_setting("instance_name") or "Outpost"
    return mail.send_link(
        invitation.email,
        f"You are invited to the team {team.slug}",
        f"You are invited to join the team {team.slug} on {name}.",
        "Open this link to join (and create your account if you have none)",
        link,
        invitation.expires_at,
    )


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


def offer(token: str) -> tuple[str, str] | None:
    """``(team slug, role name)`` that the invitation ``token`` offers while it is valid;
    None otherwise."""
    try:
        invitation = load_invitation(token)
    except NotFound:
        return None
    return db.session.get(Team, invitation.team_id).slug, memberships.role_name(invitation)


def accept(token: str, principal) -> Membership:
    """Join the team as invited. Only the invited e-mail's account may accept."""
    membership = join(load_invitation(token), db.session.get(User, principal.id))
    db.session.commit()
    return membership


def join(invitation: TeamInvitation, user: User) -> Membership:
    """Make ``user`` a member with the invited role and use the invitation up, in the
    caller's transaction (single sign-on accepts it with the sign-in). Raises Forbidden
    (``invitation_for_another_user``) when the user's e-mail is not the invited one."""
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
    return membership


def password_accounts_allowed() -> bool:
    """False in SSO-only mode: someone new joins through single sign-on, not a password."""
    from .system_settings import get_setting

    return not get_setting("sso_only")


def join_as_new_user(token: str, *, username: str, display_name: str, password: str) -> Membership:
    """Someone with no account opens a team invitation: create their account with the invited
    e-mail and join the team as invited. Raises NotFound (``invitation_invalid``), Forbidden
    (``sso_only``) in SSO-only mode, and what ``users.create_user`` raises: ValidationFailed
    (``invalid_username``, ``weak_password``), Conflict (``user_exists``,
    ``seat_limit_reached``)."""
    from . import users

    invitation = load_invitation(token)
    if not password_accounts_allowed():
        raise Forbidden(
            "Password sign-in is turned off on this server: join with single sign-on.",
            code="sso_only",
        )
    user = users.create_user(
        username, invitation.email, password, display_name=(display_name or "").strip()
    )
    return accept(token, user)


# --- the invitations a team has sent and nobody has accepted yet ------------------------------


def invitation_state(invitation: TeamInvitation) -> str:
    """``pending`` while the link still works, ``expired`` after; accepted ones are not open."""
    return "pending" if invitation.expires_at > clock.now() else "expired"


def open_invitations_query(team: Team, state: str | None = None):
    """The team's invitations not accepted yet (``state`` narrows to pending or expired ones),
    with who sent them and their custom role loaded in one query each."""
    stmt = (
        select(TeamInvitation)
        .where(TeamInvitation.team_id == team.id, TeamInvitation.accepted_at.is_(None))
        .options(selectinload(TeamInvitation.invited_by), selectinload(TeamInvitation.custom_role))
    )
    if state == "pending":
        stmt = stmt.where(TeamInvitation.expires_at > clock.now())
    elif state == "expired":
        stmt = stmt.where(TeamInvitation.expires_at <= clock.now())
    return stmt


def load_open_invitation(team: Team, invitation_id: int) -> TeamInvitation:
    """Invitation ``invitation_id`` of ``team`` that nobody accepted yet. Raises NotFound
    (``invitation_not_found``) for any other id, another team's included."""
    invitation = None
    if 0 < invitation_id < 2**31:  # ids are 32-bit: a bigger number names nothing
        invitation = db.session.scalar(
            open_invitations_query(team).where(TeamInvitation.id == invitation_id)
        )
    if invitation is None:
        raise NotFound(
            f"{team.slug} has no open invitation {invitation_id}.", code="invitation_not_found"
        )
    return invitation


def _audit(action: str, invitation: TeamInvitation) -> None:
    audit.record(
        action,
        target_type="invitation",
        target_id=str(invitation.id),
        target_name=invitation.email,
        team_id=invitation.team_id,
        details={"role": memberships.role_name(invitation)},
    )


def revoke(invitation: TeamInvitation) -> None:
    """Withdraw an invitation: its link stops working at once."""
    _audit("member:invite_revoke", invitation)
    db.session.delete(invitation)
    db.session.commit()


def resend(team: Team, invitation: TeamInvitation) -> InviteResult:
    """Issue a fresh link with a new expiry (the old link stops working) and e-mail it when
    SMTP is set up; the response says whether it was sent."""
    link = _new_link(invitation)
    _audit("member:reinvite", invitation)
    db.session.commit()
    sent, error = _send_invitation(team, invitation, link)
    return InviteResult(invitation=invitation, link=link, email_sent=sent, email_error=error)
