"""Inviting users to the instance: a user in state ``invited`` plus a one-time link.

The link's token is shown once (in the API response and the console) and e-mailed when SMTP is
set up; only its SHA-256 is stored. Opening the link lets the invitee choose a username and a
password, which makes them active.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from .. import clock
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import User, UserInvite
from ..models.user import SEAT_TYPES
from . import activity, audit
from .invitations import password_accounts_allowed
from .passwords import check_password_policy, hash_password
from .seats import ensure_seat_available
from .users import normalise_email, validate_username


@dataclass
class InviteResult:
    user: User
    link: str
    expires_at: datetime
    email_sent: bool
    email_error: str | None  # why the e-mail was not sent (None when it was)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def derive_username(email: str) -> str:
    """A free username from the e-mail's local part (``ada.lovelace@`` → ``ada-lovelace``)."""
    local = re.sub(r"[^a-z0-9_-]+", "-", email.split("@", 1)[0].lower())
    base = re.sub(r"-{2,}", "-", local).strip("-_")[:56] or "user"
    candidate, n = base, 1
    while db.session.scalar(select(User.id).where(User.username == candidate)) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _check_invite(email: str, seat_type: str, system_admin: bool) -> None:
    from .licensing import require_feature

    if seat_type not in SEAT_TYPES:
        raise ValidationFailed("Seat type must be 'full' or 'viewer'.", code="invalid_seat_type")
    if seat_type == "viewer":
        require_feature("view_only")
        if system_admin:
            raise ValidationFailed(
                "Viewer seats are read-only and cannot hold system admin rights.",
                code="viewer_cannot_be_admin",
            )
    ensure_seat_available(seat_type)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with the e-mail {email} already exists.", code="user_exists")


def _new_link(user: User, invited_by) -> tuple[str, datetime]:
    """Replace the user's link with a fresh one (staged in the caller's transaction)."""
    token = secrets.token_urlsafe(32)
    expires_at = clock.now() + timedelta(days=current_app.config["OUTPOST"].invitation_days)
    db.session.query(UserInvite).filter(UserInvite.user_id == user.id).delete()
    db.session.add(
        UserInvite(
            user_id=user.id,
            token_hash=_digest(token),
            invited_by_id=getattr(invited_by, "id", None),
            expires_at=expires_at,
        )
    )
    base = current_app.config["OUTPOST"].url.rstrip("/")
    return f"{base}/invite/{token}", expires_at


def invite_user(
    email: str, *, seat_type: str = "full", system_admin: bool = False, invited_by=None
) -> InviteResult:
    """Create an invited user with a one-time link and e-mail it when SMTP is set up.

    Raises ValidationFailed (``invalid_email``, ``invalid_seat_type``,
    ``viewer_cannot_be_admin``), Conflict (``user_exists``, ``seat_limit_reached``) and
    Forbidden (viewer seats without the ``view_only`` license feature). A failed e-mail does
    not undo the invitation: the result says why, and the link can be passed on by hand.
    """
    email = normalise_email(email)
    _check_invite(email, seat_type, system_admin)
    user = User(
        username=derive_username(email),
        email=email,
        display_name="",
        password_hash=None,
        state="invited",
        seat_type=seat_type,
        system_admin=system_admin,
    )
    db.session.add(user)
    db.session.flush()
    link, expires_at = _new_link(user, invited_by)
    audit.record(
        "user:invite",
        target=user,
        target_name=email,
        details={"seat_type": seat_type, "system_admin": system_admin},
    )
    db.session.commit()
    sent, error = _send_invitation(email, link, expires_at)
    return InviteResult(user, link, expires_at, sent, error)


def reissue_invite(user: User, invited_by=None) -> InviteResult:
    """A new link for a user who has not accepted yet (the old link stops working).

    Raises Conflict (``not_invited``) for users who joined already (and service accounts).
    """
    pending = user.state == "invited" or (
        user.state == "deactivated" and user.password_hash is None
    )
    if user.is_service_account or not pending:
        raise Conflict(
            f"{user.username} has already joined: there is no invitation to renew.",
            code="not_invited",
        )
    if user.state == "deactivated":
        user.state = "invited"
    link, expires_at = _new_link(user, invited_by)
    audit.record("user:reinvite", target=user, target_name=user.email or user.username)
    db.session.commit()
    sent, error = _send_invitation(user.email, link, expires_at)
    return InviteResult(user, link, expires_at, sent, error)


def _send_invitation(email: str, link: str, expires_at: datetime) -> tuple[bool, str | None]:
    from . import mail
    from .system_settings import get_setting

    name = get_setting("instance_name") or "Outpost"
    return mail.send_link(
        email,
        f"You are invited to {name}",
        f"You are invited to {name}.",
        "Open this link to choose your username and password",
        link,
        expires_at,
    )


def load_invite(token: str) -> tuple[UserInvite, User]:
    """The open invitation behind ``token``. Raises NotFound (``invite_invalid``) when the link
    is unknown, used or expired."""
    invite = db.session.scalar(select(UserInvite).where(UserInvite.token_hash == _digest(token)))
    user = db.session.get(User, invite.user_id) if invite is not None else None
    usable = user is not None and user.state == "invited" and invite.expires_at > clock.now()
    if not usable:
        raise NotFound(
            "This invitation link is invalid, used or expired. Ask a system admin for a new one.",
            code="invite_invalid",
        )
    return invite, user


def accept_invite(token: str, *, username: str, display_name: str, password: str) -> User:
    """Finish an invitation: the invitee's username, display name and password; they become
    active. Raises NotFound (``invite_invalid``), ValidationFailed (``invalid_username``,
    ``weak_password``), Conflict (``user_exists``, ``seat_limit_reached``) and Forbidden
    (``sso_only``): in SSO-only mode the invitee accepts by signing in with single sign-on."""
    invite, user = load_invite(token)
    if not password_accounts_allowed():
        raise Forbidden(
            "Password sign-in is turned off on this server: accept with single sign-on.",
            code="sso_only",
        )
    username = validate_username(username)
    check_password_policy(password)
    taken = db.session.scalar(select(User.id).where(User.username == username, User.id != user.id))
    if taken is not None:
        raise Conflict(f"The username {username!r} is taken.", code="user_exists")
    ensure_seat_available(user.seat_type)
    user.username = username
    user.display_name = (display_name or "").strip()[:128] or username
    user.password_hash = hash_password(password)
    user.state = "active"
    activity.mark_user_active(user)
    db.session.delete(invite)
    audit.record("user:accept_invite", target=user, actor=user)
    db.session.commit()
    return user
