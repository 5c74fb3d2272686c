"""Console sessions on the server side: one row per signed-in browser.

The signed session cookie carries the user's ``id:session_version`` (Flask-Login) and a random
token whose SHA-256 names a row here. A session is valid while its row exists and the user's
``session_version`` is unchanged, so:

- signing out deletes this browser's row (a copied cookie stops working at once);
- "sign out everywhere" deletes all of a user's rows;
- a password change or deactivation bumps ``session_version`` (services/users.py), which ends
  every session without touching this table.

A session also ends :data:`SESSION_MAX_AGE` after sign-in, however active it is.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from ..auth.principal import PRINCIPAL_COLUMNS, Principal
from ..extensions import db
from ..models import ConsoleSession, User
from ..models.base import utcnow
from . import activity, audit

SESSION_MAX_AGE = timedelta(days=30)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user_id: int) -> str:
    """A new session for ``user_id``; returns the token the cookie carries. Every way into the
    console (sign-in, setup, sign-up, accepted invitations, SSO) starts one, so this is where
    they all make the user active. Also drops the user's sessions past their maximum age, so the
    table does not grow without bound."""
    token = secrets.token_urlsafe(32)
    user = db.session.get(User, user_id)
    if user is not None:
        activity.mark_user_active(user)
    cutoff = utcnow() - SESSION_MAX_AGE
    db.session.execute(
        delete(ConsoleSession).where(
            ConsoleSession.user_id == user_id, ConsoleSession.created_at < cutoff
        )
    )
    db.session.add(ConsoleSession(token_hash=_hash(token), user_id=user_id))
    db.session.commit()
    return token


def end(token: str | None) -> None:
    """End the session named by ``token`` (sign-out); unknown tokens are ignored."""
    if not token:
        return
    db.session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _hash(token)))
    db.session.commit()


def end_all(user: User, *, keep_token: str | None = None) -> int:
    """End every console session of ``user`` (but the one named by ``keep_token``); audited as
    ``user:sign_out_everywhere``. Returns how many ended."""
    stmt = delete(ConsoleSession).where(ConsoleSession.user_id == user.id)
    if keep_token:
        stmt = stmt.where(ConsoleSession.token_hash != _hash(keep_token))
    ended = db.session.execute(stmt).rowcount or 0
    audit.record(
        "user:sign_out_everywhere",
        target=user,
        details={"sessions_ended": ended, "kept_current": bool(keep_token)},
    )
    db.session.commit()
    return ended


def principal_for(session_id: str, token: str | None) -> Principal | None:
    """The principal of a console session (``id:version`` plus its token), in one query; None
    when the session was ended, is too old, or the user is deactivated or moved on."""
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    if not token:
        return None
    users, sessions = User.__table__, ConsoleSession.__table__
    stmt = (
        select(*(users.c[name] for name in PRINCIPAL_COLUMNS))
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(
            users.c.id == user_id,
            sessions.c.token_hash == _hash(token),
            sessions.c.created_at >= utcnow() - SESSION_MAX_AGE,
        )
    )
    with db.engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
        if row is None or row["state"] != "active" or row["session_version"] != version:
            return None
        # Using the console is being active (written at most once a minute per user).
        stored = activity.mark_active(
            row["id"], row["last_active_at"], kind=row["kind"], connection=conn
        )
        if stored != row["last_active_at"]:
            conn.commit()
    return Principal.from_row(row, auth_method="session")
