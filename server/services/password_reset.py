"""Password-reset links: "Forgot password" on the sign-in page, and a system admin's "Send a
password-reset link".

A link carries a signed, timed token (itsdangerous, keyed by the server's secret) naming the
user and a digest of their current password hash, so it needs no table and works once: setting
the new password changes the hash, and every older link stops working. Links expire after
:data:`RESET_LINK_HOURS`. The token is never logged or stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from .. import clock
from ..errors import NotFound
from ..extensions import db
from ..models import User
from . import audit, mail
from .users import set_password

RESET_LINK_HOURS = 2
_SALT = "outpost password reset"


@dataclass(frozen=True)
class ResetLink:
    link: str
    expires_at: datetime
    email_sent: bool
    email_error: str | None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "no password").encode()).hexdigest()[:16]


def _link_for(user: User) -> tuple[str, datetime]:
    token = _serializer().dumps({"u": user.id, "p": _fingerprint(user)})
    base = current_app.config["OUTPOST"].url.rstrip("/")
    return f"{base}/reset-password/{token}", clock.now() + timedelta(hours=RESET_LINK_HOURS)


def _send(user: User, link: str, expires_at: datetime) -> tuple[bool, str | None]:
    return mail.send_link(
        user.email,
        "Reset your Outpost password",
        f"Someone asked to reset the password of {user.username} on Outpost. If it was not you, "
        "ignore this e-mail: your password stays as it is.",
        "Choose a new password",
        link,
        expires_at,
    )


def request_reset(login: str) -> None:
    """Forgot password: e-mail a link to the active person with this username or e-mail. Says
    nothing about whether one exists (the page shows the same message either way)."""
    login = (login or "").strip().lower()
    user = db.session.scalar(
        select(User).where(
            ((User.username == login) | (User.email == login)),
            User.kind == "user",
            User.state == "active",
        )
    )
    if user is None or not mail.is_configured():
        return
    link, expires_at = _link_for(user)
    sent, _ = _send(user, link, expires_at)
    audit.record_now("user:password_reset_requested", target=user, details={"emailed": sent})


def admin_reset_link(user: User) -> ResetLink:
    """A system admin's reset link for ``user``: e-mailed when SMTP is set, and returned so it
    can be passed on by hand when it is not."""
    link, expires_at = _link_for(user)
    sent, why = _send(user, link, expires_at)
    audit.record_now("user:password_reset_link", target=user, details={"emailed": sent})
    return ResetLink(link, expires_at, sent, why)


def user_for_token(token: str) -> User:
    """The active user a reset link is for. Raises NotFound (``reset_link_invalid``) when it is
    unknown, altered, expired or already used."""
    try:
        data = _serializer().loads(token, max_age=RESET_LINK_HOURS * 3600)
    except (SignatureExpired, BadSignature):
        data = None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or user.state != "active" or data.get("p") != _fingerprint(user):
        raise NotFound(
            "This password-reset link is invalid, expired or was already used. Ask for a new "
            "one on the sign-in page.",
            code="reset_link_invalid",
        )
    return user


def reset_password(token: str, password: str) -> User:
    """Set a new password through a reset link; every session of the user ends."""
    user = user_for_token(token)
    set_password(user, password)
    return user
