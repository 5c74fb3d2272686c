"""First start: a one-time setup link, or the first system admin from the environment."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import User
from . import audit, instance
from .users import count_users, create_user

# A random value stored once per instance; the link's token is derived from it and the secret
# key, so every replica (same database, same key) prints the same link and nothing in the
# database is enough to use it.
_NONCE_KEY = "setup_link_nonce"


def _token_for(nonce: str) -> str:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    mac = hmac.new(key, f"outpost setup link:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _instance_nonce() -> str:
    """The instance's setup nonce, created by the first start that finds none."""
    nonce = instance.get_value(_NONCE_KEY)
    if nonce:
        return nonce
    try:
        instance.set_value(_NONCE_KEY, secrets.token_urlsafe(32))
        db.session.commit()
    except IntegrityError:  # another replica stored it first: use theirs
        db.session.rollback()
    return instance.get_value(_NONCE_KEY)


def needs_setup() -> bool:
    return count_users() == 0


def issue_setup_token() -> str | None:
    """The instance's one-time setup token while it has no users yet, else None.

    Stored once (as a nonce) and the same for every replica and restart until it is used, so
    the link any replica logs stays valid.
    """
    if not needs_setup():
        return None
    return _token_for(_instance_nonce())


def check_setup_token(token: str) -> None:
    """Raise NotFound unless ``token`` is the instance's unused setup token."""
    nonce = instance.get_value(_NONCE_KEY)
    if not nonce or not needs_setup() or not hmac.compare_digest(_token_for(nonce), token):
        raise NotFound(
            "This setup link is invalid or was already used. The server logs the current "
            "link when it starts.",
            code="setup_link_invalid",
        )


def complete_setup(token: str, username: str, email: str, password: str) -> User:
    """Create the first system admin through the setup link; the link dies with it."""
    check_setup_token(token)
    user = create_user(username, email, password, system_admin=True)
    instance.delete_value(_NONCE_KEY)
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
    instance.delete_value(_NONCE_KEY)
    db.session.commit()
    return user
