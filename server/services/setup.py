"""First start: a one-time setup link, or the first system admin from the environment."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import User
from . import audit, instance
from .users import count_users, create_user

_TOKEN_KEY = "setup_token_sha256"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def needs_setup() -> bool:
    return count_users() == 0


def issue_setup_token() -> str | None:
    """A fresh one-time token when the instance has no users yet, else None.

    Only its hash is stored; issuing a new one invalidates the previous link.
    """
    if not needs_setup():
        return None
    token = secrets.token_urlsafe(32)
    instance.set_value(_TOKEN_KEY, _digest(token))
    db.session.commit()
    return token


def check_setup_token(token: str) -> None:
    """Raise NotFound unless ``token`` is the current, unused setup token."""
    stored = instance.get_value(_TOKEN_KEY)
    if not stored or not needs_setup() or not hmac.compare_digest(stored, _digest(token)):
        raise NotFound(
            "This setup link is invalid or was already used. Restart the server for a new one.",
            code="setup_link_invalid",
        )


def complete_setup(token: str, username: str, email: str, password: str) -> User:
    """Create the first system admin through the setup link; the link dies with it."""
    check_setup_token(token)
    user = create_user(username, email, password, system_admin=True)
    instance.delete_value(_TOKEN_KEY)
    audit.record("instance:setup", target=user, actor=user)
    db.session.commit()
    return user


def bootstrap_admin(email: str, password: str, username: str = "") -> User | None:
    """Create the first system admin from settings when the instance has no users.

    Returns None when users already exist (nothing to do). Raises ValidationFailed for a bad
    e-mail, username or password.
    """
    if not needs_setup():
        return None
    username = username or email.split("@", 1)[0].lower().replace(".", "-")
    try:
        user = create_user(username, email, password, system_admin=True)
    except Conflict:
        return None
    instance.delete_value(_TOKEN_KEY)
    db.session.commit()
    return user
