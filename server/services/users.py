"""Users: creation, sign-in, deactivation and reactivation."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from ..auth.principal import PRINCIPAL_COLUMNS, Principal
from ..errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from ..extensions import db
from ..models import User
from ..models.base import utcnow
from . import activity, audit
from .passwords import check_password_policy, hash_password, needs_rehash, verify_password
from .seats import ensure_seat_available

USERNAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LAST_ACTIVE_RESOLUTION = timedelta(minutes=1)


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ValidationFailed(f"{email!r} is not a valid e-mail address.", code="invalid_email")
    return email


def validate_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationFailed(
            "Usernames are 1-64 lowercase letters, digits, '-' or '_', starting and ending with a "
            "letter or digit.",
            code="invalid_username",
        )
    return username


def get_by_username(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username.lower()))
    if user is None:
        raise NotFound(f"No user named {username!r}.", code="user_not_found")
    return user


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.kind == "user")) or 0


def create_user(
    username: str,
    email: str,
    password: str | None,
    *,
    system_admin: bool = False,
    display_name: str = "",
    seat_type: str = "full",
) -> User:
    """Create an active user. Raises ValidationFailed for bad input, Conflict when the username
    or e-mail is taken."""
    username = validate_username(username)
    email = normalise_email(email)
    if password is not None:
        check_password_policy(password)
    if seat_type not in ("full", "viewer"):
        raise ValidationFailed("Seat type must be 'full' or 'viewer'.", code="invalid_seat_type")
    ensure_seat_available(seat_type)
    taken = db.session.scalar(
        select(User).where((User.username == username) | (User.email == email))
    )
    if taken is not None:
        field = "username" if taken.username == username else "e-mail"
        raise Conflict(f"A user with this {field} already exists.", code="user_exists")
    user = User(
        username=username,
        email=email,
        display_name=display_name or username,
        password_hash=hash_password(password) if password is not None else None,
        system_admin=system_admin,
        seat_type=seat_type,
        state="active",
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user:create", target=user, details={"system_admin": system_admin})
    db.session.commit()
    return user


def authenticate(login: str, password: str) -> User:
    """Check a username or e-mail and password. Records the attempt either way.

    Raises Unauthenticated (code ``invalid_credentials``) without saying which part was wrong.
    """
    login = (login or "").strip().lower()
    user = db.session.scalar(
        select(User).where(
            ((User.username == login) | (User.email == login)) & (User.kind == "user")
        )
    )
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.is_active:
        audit.record_now(
            "user:login",
            target=user,
            target_name=login[:254],
            result="failure",
            actor=user,
            actor_name=login[:254],
            details={"reason": "deactivated" if ok and user else "invalid_credentials"},
        )
        raise Unauthenticated("Wrong username or password.", code="invalid_credentials")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    activity.note_sign_in(user, now := utcnow())
    user.last_active_at = now
    audit.record("user:login", target=user, actor=user)
    db.session.commit()
    return user


def principal_for_session(session_id: str) -> Principal | None:
    """Resolve a session's ``id:version``; None once the user is deactivated or the version
    moved on (which is how deactivation ends sessions at once)."""
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    users = User.__table__
    stmt = select(*(users.c[name] for name in PRINCIPAL_COLUMNS)).where(users.c.id == user_id)
    with db.engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    if row is None or row["state"] != "active" or row["session_version"] != version:
        return None
    return Principal.from_row(row, auth_method="session")


def touch_last_active(user: User) -> None:
    """Record activity at most once a minute per user (no write on every request)."""
    now = utcnow()
    if user.last_active_at is None or now - user.last_active_at >= LAST_ACTIVE_RESOLUTION:
        db.session.execute(
            User.__table__.update().where(User.id == user.id).values(last_active_at=now)
        )
        activity.note_active(user.id, user.last_active_at, now, kind=user.kind)
        user.last_active_at = now
        db.session.commit()


def _ensure_not_last_admin(user: User) -> None:
    if not user.system_admin:
        return
    others = db.session.scalar(
        select(func.count(User.id)).where(
            User.system_admin.is_(True), User.state == "active", User.id != user.id
        )
    )
    if not others:
        raise Conflict(
            "This is the last active system admin. Promote another admin first.",
            code="last_system_admin",
        )


def deactivate(user: User) -> User:
    """Deactivate: ends every session and disables every API key at once."""
    if user.state == "deactivated":
        return user
    _ensure_not_last_admin(user)
    user.state = "deactivated"
    user.session_version += 1
    audit.record("user:deactivate", target=user)
    db.session.commit()
    return user


def reactivate(user: User) -> User:
    if user.state == "active":
        return user
    if user.state != "deactivated":
        raise Conflict("Only deactivated users can be reactivated.", code="not_deactivated")
    ensure_seat_available(user.seat_type)
    user.state = "active"
    audit.record("user:reactivate", target=user)
    db.session.commit()
    return user


def set_password(user: User, password: str) -> None:
    check_password_policy(password)
    user.password_hash = hash_password(password)
    user.session_version += 1
    audit.record("user:password_change", target=user)
    db.session.commit()


def ensure_system_admin(user: User) -> None:
    if not user.system_admin:
        raise Forbidden("Only system admins can do this.", code="permission_denied")
