"""Users: creation, sign-in, deactivation and reactivation."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from ..errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from ..extensions import db
from ..models import User
from ..models.base import utcnow
from ..models.user import SEAT_TYPES
from . import activity, audit
from .locking import lock_rows
from .passwords import check_password_policy, hash_password, needs_rehash, verify_password
from .seats import ensure_seat_available

USERNAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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


def account_rules() -> dict[str, str]:
    """The rules new accounts follow, said before anyone breaks them."""
    from .system_settings import get_setting

    return {
        "username": "1-64 lowercase letters, digits, '-' or '_', starting and ending with a "
        "letter or digit.",
        "password": f"At least {get_setting('password_min_length')} characters.",
    }


def account_problems(
    username: str, email: str | None, password: str, *, exclude_user_id: int | None = None
) -> dict[str, str]:
    """Every problem with a new account's username, e-mail and password at once, by field
    (empty when there is none), so a form can show them all next to their fields."""
    problems: dict[str, str] = {}
    checks = [("username", lambda: validate_username(username))]
    if email is not None:
        checks.append(("email", lambda: normalise_email(email)))
    checks.append(("password", lambda: check_password_policy(password or "")))
    for field, check in checks:
        try:
            check()
        except ValidationFailed as error:
            problems[field] = error.message
    for field, column, value in (
        ("username", User.username, (username or "").strip().lower()),
        ("email", User.email, (email or "").strip().lower() if email is not None else None),
    ):
        if field in problems or not value:
            continue
        stmt = select(User.id).where(column == value)
        if exclude_user_id is not None:
            stmt = stmt.where(User.id != exclude_user_id)
        if db.session.scalar(stmt) is not None:
            problems[field] = f"This {'username' if field == 'username' else 'e-mail'} is taken."
    return problems


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
    _check_password_sign_in_allowed(user, login)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    activity.note_sign_in(user, utcnow())
    audit.record("user:login", target=user, actor=user)
    db.session.commit()
    return user


def _check_password_sign_in_allowed(user: User, login: str) -> None:
    """In SSO-only mode only break-glass system admins sign in with a password."""
    from .system_settings import get_setting

    if not get_setting("sso_only") or (user.system_admin and user.break_glass):
        return
    audit.record_now(
        "user:login",
        target=user,
        result="failure",
        actor=user,
        actor_name=login[:254],
        details={"reason": "sso_only"},
    )
    raise Forbidden(
        "Password sign-in is turned off on this server: use single sign-on.", code="sso_only"
    )


def set_break_glass(user: User, enabled: bool) -> User:
    """Mark a system admin as a break-glass account (password sign-in in SSO-only mode).

    Raises ValidationFailed (``not_system_admin``) for anyone else.
    """
    if enabled and not user.system_admin:
        raise ValidationFailed(
            "Only system admins can be break-glass accounts.", code="not_system_admin"
        )
    user.break_glass = enabled
    audit.record("user:break_glass", target=user, details={"break_glass": enabled})
    db.session.commit()
    return user


def touch_last_active(user: User) -> None:
    """Record activity at most once a minute per user (no write on every request)."""
    activity.mark_user_active(user)
    db.session.commit()


def get_person(username: str) -> User:
    """A human user by username. Service accounts are not managed as users: their team's
    admins look after them. Raises NotFound (``user_not_found``)."""
    user = get_by_username(username)
    if user.is_service_account:
        raise NotFound(
            f"{username!r} is a service account: its team's admins manage it under the team's "
            "service accounts.",
            code="user_not_found",
        )
    return user


def _ensure_not_last_admin(user: User) -> None:
    """Refuse to demote or deactivate the last active system admin. The active system admins'
    rows are locked first, so two requests demoting two of them at once cannot both pass."""
    if not user.system_admin or user.state != "active":
        return
    admins = lock_rows(
        select(User.id).where(
            User.system_admin.is_(True), User.state == "active", User.kind == "user"
        )
    )
    if not [pk for pk in admins if pk != user.id]:
        raise Conflict(
            f"{user.username} is the last active system admin. Make another user a system admin "
            "first.",
            code="last_system_admin",
        )


def _check_change(user: User, state: str, system_admin: bool, seat_type: str) -> None:
    """Every guard on a system admin's change to ``user``, before anything is applied."""
    from .licensing import require_feature

    if state not in ("active", "deactivated", user.state):
        raise ValidationFailed("State must be 'active' or 'deactivated'.", code="invalid_state")
    if seat_type not in SEAT_TYPES:
        raise ValidationFailed("Seat type must be 'full' or 'viewer'.", code="invalid_seat_type")
    if state == "active" and user.state == "invited":
        raise Conflict(
            f"{user.username} has not accepted the invitation yet; they become active when they "
            "do.",
            code="invite_pending",
        )
    if state == "active" and user.state != "active" and user.password_hash is None:
        raise Conflict(
            f"{user.username} never accepted the invitation: send a new invitation link instead.",
            code="invite_pending",
        )
    if seat_type == "viewer" and user.seat_type != "viewer":
        require_feature("view_only")
    if system_admin and seat_type == "viewer":
        raise ValidationFailed(
            "Viewer seats are read-only and cannot hold system admin rights.",
            code="viewer_cannot_be_admin",
        )
    if user.system_admin and (not system_admin or state != "active"):
        _ensure_not_last_admin(user)
    holds_full_seat = user.state == "active" and user.seat_type == "full"
    if state == "active" and seat_type == "full" and not holds_full_seat:
        ensure_seat_available("full")


def _apply_state(user: User, state: str) -> None:
    from ..models import UserInvite

    was = user.state
    user.state = state
    if state == "deactivated":
        user.session_version += 1  # ends every session; API keys check the state
        db.session.query(UserInvite).filter(UserInvite.user_id == user.id).delete()
        audit.record("user:deactivate", target=user, details={"previous_state": was})
    else:
        audit.record("user:reactivate", target=user)


def _apply_seat(user: User, seat_type: str) -> None:
    from ..models import ApiKey

    details: dict = {"from": user.seat_type, "to": seat_type}
    if seat_type == "viewer":  # viewer seats have no API keys
        details["api_keys_revoked"] = (
            db.session.query(ApiKey).filter(ApiKey.user_id == user.id).delete()
        )
    user.seat_type = seat_type
    audit.record("user:seat_change", target=user, details=details)


def update_user(
    user: User,
    *,
    state: str | None = None,
    system_admin: bool | None = None,
    seat_type: str | None = None,
) -> User:
    """Apply a system admin's changes to ``user`` all at once, or none of them.

    Raises Conflict (``last_system_admin``, ``seat_limit_reached``, ``invite_pending``),
    Forbidden (``license_required``/``license_expired``: viewer seats need ``view_only``) and
    ValidationFailed (``invalid_state``, ``invalid_seat_type``, ``viewer_cannot_be_admin``).
    Each change is audited: ``user:deactivate``, ``user:reactivate``, ``user:promote``,
    ``user:demote``, ``user:seat_change``.
    """
    if user.is_service_account:
        raise Conflict("Service accounts are managed by their team.", code="service_account")
    new_state = state or user.state
    new_admin = user.system_admin if system_admin is None else system_admin
    new_seat = seat_type or user.seat_type
    _check_change(user, new_state, new_admin, new_seat)
    if new_state != user.state:
        _apply_state(user, new_state)
    if new_admin != user.system_admin:
        user.system_admin = new_admin
        user.break_glass = user.break_glass and new_admin  # only system admins are break-glass
        audit.record("user:promote" if new_admin else "user:demote", target=user)
    if new_seat != user.seat_type:
        _apply_seat(user, new_seat)
    db.session.commit()
    return user


def update_identity(user: User, *, display_name: str, email: str) -> User:
    """A system admin corrects a person's name and e-mail. Raises ValidationFailed
    (``invalid_email``, ``invalid_display_name``) and Conflict (``user_exists``) for an e-mail
    another user has. Audited as ``user:update`` with the fields that changed."""
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 128:
        raise ValidationFailed(
            "Give a display name of 1 to 128 characters.", code="invalid_display_name"
        )
    email = normalise_email(email)
    taken = db.session.scalar(select(User.id).where(User.email == email, User.id != user.id))
    if taken is not None:
        raise Conflict("Another user already has this e-mail address.", code="user_exists")
    changed = [
        name
        for name, new in (("display_name", display_name), ("email", email))
        if getattr(user, name) != new
    ]
    user.display_name, user.email = display_name, email
    if changed:
        audit.record("user:update", target=user, details={"changed": changed})
    db.session.commit()
    return user


def deactivate(user: User) -> User:
    """Deactivate: ends every session and disables every API key at once."""
    return update_user(user, state="deactivated")


def reactivate(user: User) -> User:
    """Reactivate a deactivated user (a seat must be free)."""
    return update_user(user, state="active")


def set_password(user: User, password: str) -> None:
    check_password_policy(password)
    user.password_hash = hash_password(password)
    user.session_version += 1
    audit.record("user:password_change", target=user)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """A person changes their own password; every session of theirs ends (the caller signs the
    current browser in again). Raises ValidationFailed (``wrong_password``, password policy)."""
    if not verify_password(user.password_hash, current or ""):
        audit.record_now(
            "user:password_change", target=user, result="failure", details={"reason": "wrong"}
        )
        raise ValidationFailed("Your current password is not right.", code="wrong_password")
    set_password(user, new)


def ensure_system_admin(user: User) -> None:
    if not user.system_admin:
        raise Forbidden("Only system admins can do this.", code="permission_denied")


def sign_up(username: str, email: str, password: str, display_name: str = "") -> User:
    """Create an account through the public sign-up page (``signup_mode = open`` only).

    Raises Forbidden (``signup_closed``) when sign-up is by invitation only, and what
    :func:`create_user` raises (bad input, taken name, ``seat_limit_reached``).
    """
    from .system_settings import get_setting

    if get_setting("signup_mode") != "open":
        raise Forbidden(
            "Sign-up is by invitation only on this instance. Ask a system admin to invite you.",
            code="signup_closed",
        )
    user = create_user(username, email, password, display_name=(display_name or "").strip())
    audit.record("user:signup", target=user, actor=user)
    db.session.commit()
    return user
