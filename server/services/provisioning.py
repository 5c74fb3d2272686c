"""Provisioning by an identity provider (the SCIM door): users, their teams and roles, and
teams as groups.

Everything goes through the services the console and the API use (users, teams,
memberships), so the same rules hold: seats, the last system admin, the last team admin,
licensed roles, delayed team deletion. Deactivation, by ``active: false`` or by a SCIM
``DELETE``, keeps the account with its runs and reports.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import CustomRole, Membership, Team, User
from . import audit, memberships, roles, teams, users
from .seats import ensure_seat_available


@dataclass(frozen=True)
class UserSpec:
    """The state a provider wants a user in. ``team_roles`` None leaves memberships alone."""

    user_name: str
    display_name: str | None = None
    email: str | None = None
    active: bool = True
    external_id: str | None = None
    team_roles: dict[int, str] | None = None


def _scim_user_name(user_name: str) -> str:
    name = (user_name or "").strip().lower()
    if not name or len(name) > 254 or any(ch.isspace() for ch in name):
        raise ValidationFailed(
            "userName is 1-254 characters without spaces.", code="invalid_user_name"
        )
    return name


def user_name_of(user: User) -> str:
    """The userName a provider sees: its own, or the Outpost username for other accounts."""
    return user.scim_user_name or user.username


def _ensure_user_name_free(name: str, user_id: int | None = None) -> None:
    clash = db.session.scalar(
        select(User.id).where(
            User.kind == "user",
            User.scim_deprovisioned.is_(False),
            (User.scim_user_name == name)
            | (User.scim_user_name.is_(None) & (User.username == name)),
            User.id != (user_id or 0),
        )
    )
    if clash is not None:
        raise Conflict(f"A user with userName {name!r} exists.", code="user_exists")


def _ensure_email_free(email: str | None, user_id: int | None = None) -> None:
    if email is None:
        return
    clash = db.session.scalar(select(User.id).where(User.email == email, User.id != (user_id or 0)))
    if clash is not None:
        raise Conflict("A user with this e-mail already exists.", code="user_exists")


def _derive_username(name: str) -> str:
    """An Outpost username for a provider's userName: itself when it is a valid free username,
    else its local part made valid, with a number when taken (``jane-doe``, ``jane-doe-2``)."""
    base = name if users.USERNAME_RE.match(name) else name.split("@", 1)[0]
    base = re.sub(r"[^a-z0-9_-]+", "-", base).strip("-_")[:60].strip("-_") or "user"
    candidates = [base] + [f"{base}-{n}" for n in range(2, 40)]
    taken = set(db.session.scalars(select(User.username).where(User.username.in_(candidates))))
    for candidate in candidates:
        if candidate not in taken and users.USERNAME_RE.match(candidate):
            return candidate
    return f"{base[:50]}-{secrets.token_hex(4)}"


def _external_id(value: str | None) -> str | None:
    if value is not None and len(value) > 254:
        raise ValidationFailed("externalId is at most 254 characters.", code="invalid_value")
    return value


def _display_name(value: str | None) -> str:
    value = (value or "").strip()
    if len(value) > 128:
        raise ValidationFailed("displayName is at most 128 characters.", code="invalid_value")
    return value


def create_user(spec: UserSpec) -> User:
    """Create a user (no password: they sign in through the organisation's identity provider).

    Raises ValidationFailed for bad values, Conflict (``user_exists``) for a taken userName or
    e-mail and (``seat_limit_reached``) when no seat is free for an active user.
    """
    name = _scim_user_name(spec.user_name)
    email = users.normalise_email(spec.email) if spec.email else None
    display_name = _display_name(spec.display_name)
    external_id = _external_id(spec.external_id)
    _ensure_user_name_free(name)
    _ensure_email_free(email)
    _check_team_roles(None, spec.team_roles)
    if spec.active:
        ensure_seat_available("full")
    user = User(
        username=_derive_username(name),
        email=email,
        display_name=display_name,
        password_hash=None,
        state="active" if spec.active else "deactivated",
        scim_user_name=name,
        external_id=external_id,
    )
    try:
        db.session.add(user)
        db.session.flush()
        audit.record("user:create", target=user, details={"provisioned": True, "user_name": name})
        db.session.commit()
    except IntegrityError:  # the same person provisioned by a concurrent request
        db.session.rollback()
        raise Conflict("A user with this userName or e-mail exists.", code="user_exists") from None
    set_team_roles(user, spec.team_roles)
    return user


def update_user(user: User, spec: UserSpec) -> User:
    """Bring ``user`` to ``spec`` (a SCIM PUT or the result of a PATCH).

    Deactivating goes through :func:`users.update_user` (sessions end, keys stop, the last
    system admin stays); reactivating needs a free seat. Raises as :func:`create_user` does,
    and Conflict (``last_system_admin``, ``last_team_admin``).
    """
    name = _scim_user_name(spec.user_name)
    email = users.normalise_email(spec.email) if spec.email else None
    _check_team_roles(user, spec.team_roles)  # before anything is written
    changed = []
    if name != user_name_of(user):
        _ensure_user_name_free(name, user.id)
        user.scim_user_name = name
        changed.append("userName")
    if email != user.email:
        _ensure_email_free(email, user.id)
        user.email = email
        changed.append("email")
    display_name = _display_name(spec.display_name)
    if display_name != user.display_name:
        user.display_name = display_name
        changed.append("displayName")
    if _external_id(spec.external_id) != user.external_id:
        user.external_id = spec.external_id
        changed.append("externalId")
    try:
        if changed:
            audit.record("user:update", target=user, details={"fields": changed})
        _apply_active(user, spec.active)
    except Exception:
        db.session.rollback()
        raise
    set_team_roles(user, spec.team_roles)
    return user


def _apply_active(user: User, active: bool) -> None:
    """Commit the pending changes with the user's new state."""
    if not active and user.state != "deactivated":
        users.update_user(user, state="deactivated")  # commits
        return
    if active and user.state != "active":
        # A provisioned user has no password and no pending invitation: the provider vouches
        # for them, so they come back without a new invitation.
        if user.seat_type == "full":
            ensure_seat_available("full")
        user.state = "active"
        audit.record("user:reactivate", target=user, details={"provisioned": True})
    db.session.commit()


def deprovision_user(user: User) -> None:
    """A SCIM DELETE: the account is deactivated and leaves the provider's view (its userName
    and externalId are freed); runs, reports and memberships stay, still attributed."""
    user.scim_deprovisioned = True
    user.scim_user_name = None
    user.external_id = None
    try:
        audit.record("user:deprovision", target=user)
        _apply_active(user, False)
    except Exception:
        db.session.rollback()
        raise


# --- team roles ----------------------------------------------------------------------------


def _active_teams(team_ids) -> dict[int, Team]:
    if not team_ids:
        return {}
    rows = db.session.scalars(
        select(Team).where(Team.id.in_(list(team_ids)), Team.state == "active")
    )
    return {team.id: team for team in rows}


def _memberships_of(user: User) -> dict[int, Membership]:
    rows = db.session.scalars(
        select(Membership)
        .join(Team, Team.id == Membership.team_id)
        .where(Membership.user_id == user.id, Team.state == "active")
    )
    return {membership.team_id: membership for membership in rows}


def _ensure_admin_stays(membership: Membership) -> None:
    if membership.role == "admin" and memberships.admin_count(membership.team) <= 1:
        raise Conflict(
            f"{membership.user.username} is the last admin of {membership.team.slug}. Make "
            "another member admin first: a team must keep at least one admin.",
            code="last_team_admin",
        )


def _check_team_roles(user: User | None, wanted: dict[int, str] | None) -> dict[int, Team]:
    """Everything :func:`set_team_roles` will need, checked before anything is written:
    unknown teams (ValidationFailed ``unknown_team``), roles (``unknown_role``, license), and
    the last admin of a team (Conflict ``last_team_admin``). Returns the teams by id."""
    if wanted is None:
        return {}
    found = _active_teams(wanted)
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise ValidationFailed(f"No team with id {missing[0]}.", code="unknown_team")
    for role in set(wanted.values()):
        memberships.resolve_role(role)
    if user is not None:
        for team_id, membership in _memberships_of(user).items():  # leaving or changing role
            if wanted.get(team_id) != memberships.role_name(membership):
                _ensure_admin_stays(membership)
    return found


def set_team_roles(user: User, wanted: dict[int, str] | None) -> None:
    """Make ``user`` a member of exactly the teams in ``wanted`` (team id -> role name), after
    the checks of :func:`_check_team_roles`. None leaves memberships alone."""
    if wanted is None:
        return
    found = _check_team_roles(user, wanted)
    current = _memberships_of(user)
    for team_id, membership in current.items():
        if team_id not in wanted:
            memberships.remove_member(membership)
        elif wanted[team_id] != memberships.role_name(membership):
            memberships.update_member(membership, role_name_=wanted[team_id], registry_admin=None)
    for team_id, role in wanted.items():
        if team_id not in current:
            memberships.add_member(found[team_id], user=user, role_name_=role)


# --- teams as groups -----------------------------------------------------------------------


def team_slug(display_name: str) -> str:
    """The team name for a group's displayName: lowercase ASCII letters, digits and '-'
    (``Équipe ML`` becomes ``equipe-ml``); a name with too few of them gets ``group-<hash>``."""
    text = unicodedata.normalize("NFKD", (display_name or "").strip().lower())
    text = text.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:64].strip("-")
    if len(slug) < 2:
        digest = hashlib.sha256((display_name or "").encode()).hexdigest()[:8]
        slug = f"group-{digest}"
    return slug


def _group_users(user_ids) -> dict[int, User]:
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.scalars(
        select(User).where(
            User.id.in_(ids), User.kind == "user", User.scim_deprovisioned.is_(False)
        )
    )
    found = {user.id: user for user in rows}
    missing = sorted(set(ids) - set(found))
    if missing:
        raise ValidationFailed(f"No user with id {missing[0]}.", code="unknown_member")
    return found


def create_team(
    display_name: str, *, external_id: str | None, member_ids: list[int], actor=None
) -> Team:
    """Create a team from a SCIM group, on internal storage, with its members (member role).
    Raises ValidationFailed (bad name, unknown member), Conflict (``team_exists``, team
    limit) and storage errors, with nothing left behind."""
    display_name = _display_name(display_name)
    if not display_name:
        raise ValidationFailed("A group needs a displayName.", code="invalid_value")
    external_id = _external_id(external_id)
    members = _group_users(member_ids)
    team = teams.create_provisioned_team(
        team_slug(display_name),
        display_name,
        created_by_id=getattr(actor, "id", None),
        external_id=external_id,
    )
    for user in members.values():
        memberships.add_member(team, user=user, role_name_="member")
    return team


def update_team(
    team: Team, *, display_name: str, external_id: str | None, member_ids: list[int] | None
) -> Team:
    """Rename (the display name; the team's name stays), set the externalId, and make the
    members exactly ``member_ids`` (None: leave them); newcomers join as members."""
    display_name = _display_name(display_name) or team.slug
    external_id = _external_id(external_id)
    wanted = _group_users(member_ids) if member_ids is not None else None
    current = {m.user_id: m for m in db.session.scalars(memberships.members_query(team))}
    current = {uid: m for uid, m in current.items() if not m.user.is_service_account}
    leaving = [m for uid, m in current.items() if wanted is not None and uid not in wanted]
    for membership in leaving:
        _ensure_admin_stays(membership)
    if external_id != team.external_id:
        team.external_id = external_id
        details = {"fields": ["externalId"]}
        audit.record("team:update", target=team, team_id=team.id, details=details)
    if display_name != team.display_name:
        teams.update_team(team, {"display_name": display_name})  # commits
    db.session.commit()
    for membership in leaving:
        memberships.remove_member(membership)
    for user_id, user in (wanted or {}).items():
        if user_id not in current:
            memberships.add_member(team, user=user, role_name_="member")
    return team


def delete_team(team: Team) -> Team:
    """Delete like a system admin does: restorable until the retention period ends."""
    return teams.delete_team(team, team.slug)


# --- custom roles --------------------------------------------------------------------------


def create_role(
    name: str, base: str, permissions: list[str], description: str, *, external_id: str | None
) -> CustomRole:
    """Create a custom role (license: ``custom_roles``) with the provider's externalId."""
    external_id = _external_id(external_id)
    role = roles.create_role(name, base, permissions, description)
    if external_id is not None:
        role.external_id = external_id
        db.session.commit()
    return role


def update_role(
    role: CustomRole,
    *,
    base: str,
    permissions: list[str],
    description: str,
    external_id: str | None,
) -> CustomRole:
    """Replace a custom role's base, permissions, description and externalId at once."""
    role.external_id = _external_id(external_id)
    try:
        return roles.update_role(role, base=base, permissions=permissions, description=description)
    except Exception:
        db.session.rollback()
        raise
