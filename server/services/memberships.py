"""Team membership and role resolution."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..auth import authorize, authorize_role_change
from ..auth.permissions import BUILTIN_ROLES, REGISTRY_ADMIN_GRANTS, is_known
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import CustomRole, Membership, Team, User
from . import audit
from .locking import lock_rows


def role_grants(
    role: str, custom_base: str | None, custom_permissions: list[str] | None
) -> frozenset[str]:
    """The grants of a built-in role, or of a custom role (its base plus its extras).

    A custom role whose row is gone falls back to its base; unknown names are ignored so a
    vocabulary change can never widen a role.
    """
    if role != "custom":
        return BUILTIN_ROLES.get(role, frozenset())
    base = BUILTIN_ROLES.get(custom_base or "view-only", frozenset())
    extras = {name for name in (custom_permissions or []) if is_known(name)}
    return base | extras


def grants_for(principal, team_id: int) -> frozenset[str]:
    """The permission names ``principal`` holds in the team (empty for a non-member or a team
    being deleted). One query, whatever the number of teams, members or roles."""
    stmt = (
        select(Membership.role, Membership.registry_admin, CustomRole.base, CustomRole.permissions)
        .join(Team, Team.id == Membership.team_id)
        .outerjoin(CustomRole, CustomRole.id == Membership.custom_role_id)
        .where(
            Membership.team_id == team_id,
            Membership.user_id == principal.id,
            Team.state == "active",
        )
    )
    return grants_from_row(db.session.execute(stmt).first())


def grants_from_row(row) -> frozenset[str]:
    """The grants of a (role, registry_admin, custom base, custom permissions) row; empty for
    no row or a row of nulls (no membership)."""
    if row is None or row[0] is None:
        return frozenset()
    role, registry_admin, custom_base, custom_permissions = row
    grants = role_grants(role, custom_base, custom_permissions)
    if registry_admin:
        grants = grants | REGISTRY_ADMIN_GRANTS
    return frozenset(grants)


def grants_of_role(role: str, custom: CustomRole | None) -> frozenset[str]:
    """The grants of ``role`` (``custom`` when it is a custom role)."""
    if custom is None:
        return role_grants(role, None, None)
    return role_grants(role, custom.base, custom.permissions)


def membership_grants(membership: Membership) -> frozenset[str]:
    """What ``membership`` lets its holder do in the team (its role and registry-admin flag)."""
    grants = grants_of_role(membership.role, membership.custom_role)
    return grants | REGISTRY_ADMIN_GRANTS if membership.registry_admin else grants


def check_role_change(actor, team: Team, *, current=frozenset(), new=frozenset()) -> None:
    """Roles are given and taken away against the actor's own (see ``authorize_role_change``);
    ``actor`` None is the server's operator (CLI), who may do anything."""
    if actor is not None:
        authorize_role_change(actor, team, current=current, new=new)


# --- membership management --------------------------------------------------------------

BUILTIN_ROLE_NAMES = ("admin", "member", "view-only")


def resolve_role(role_name: str) -> tuple[str, CustomRole | None]:
    """Map an API role name to (role, custom role). Raises ValidationFailed for an unknown
    role and Forbidden (license) for view-only or custom roles without the feature."""
    from .licensing import require_feature

    name = (role_name or "").strip()
    if name in ("admin", "member"):
        return name, None
    if name == "view-only":
        require_feature("view_only")
        return name, None
    custom = db.session.scalar(select(CustomRole).where(CustomRole.name == name))
    if custom is None:
        raise ValidationFailed(
            f"Unknown role {name!r}: use admin, member, view-only or a custom role's name.",
            code="unknown_role",
        )
    require_feature("custom_roles")
    return "custom", custom


def role_name(membership: Membership) -> str:
    if membership.role == "custom":
        return membership.custom_role.name if membership.custom_role else "custom"
    return membership.role


def members_query(team: Team):
    return (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.team_id == team.id)
        .options(selectinload(Membership.user), selectinload(Membership.custom_role))
    )


def load_membership(team: Team, username: str) -> Membership:
    membership = db.session.scalar(
        members_query(team).where(User.username == (username or "").lower())
    )
    if membership is None:
        raise NotFound(f"{username!r} is not a member of {team.slug}.", code="member_not_found")
    return membership


def admin_count(team: Team) -> int:
    return (
        db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.team_id == team.id, Membership.role == "admin"
            )
        )
        or 0
    )


def _ensure_keeps_an_admin(membership: Membership) -> None:
    """Refuse to take the admin role from the team's last admin. The team's admin rows are
    locked first, so two requests demoting or removing its two admins at once cannot both
    pass: the second one counts after the first one's change."""
    if membership.role != "admin":
        return
    admins = lock_rows(
        select(Membership.id).where(
            Membership.team_id == membership.team_id, Membership.role == "admin"
        )
    )
    if [pk for pk in admins if pk != membership.id]:
        return
    raise Conflict(
        f"{membership.user.username} is the last admin of {membership.team.slug}. Make "
        "another member admin first: a team must keep at least one admin.",
        code="last_team_admin",
    )


def add_member(team: Team, *, user: User, role_name_: str, actor=None) -> Membership:
    """Add an existing user to the team with a role. Raises Conflict if already a member,
    Forbidden when ``actor`` may not give that role (admin, or above its own)."""
    role, custom = resolve_role(role_name_)
    check_role_change(actor, team, new=grants_of_role(role, custom))
    if user.is_service_account:
        raise ValidationFailed("Service accounts belong to one team only.", code="invalid_member")
    existing = db.session.scalar(
        select(Membership).where(Membership.team_id == team.id, Membership.user_id == user.id)
    )
    if existing is not None:
        raise Conflict(f"{user.username} is already a member of {team.slug}.", code="member_exists")
    membership = Membership(
        team_id=team.id,
        user_id=user.id,
        role=role,
        custom_role_id=custom.id if custom else None,
    )
    db.session.add(membership)
    db.session.flush()
    audit.record("member:add", target=user, team_id=team.id, details={"role": role_name_})
    db.session.commit()
    return membership


def update_member(
    membership: Membership,
    *,
    role_name_: str | None,
    registry_admin: bool | None,
    actor=None,
):
    """Change role and/or the registry-admin flag. The last admin cannot be demoted.

    Changing the flag also needs ``registry:manage_admins`` (asked of ``authorize`` for
    ``actor``), so a role that may manage members but not registry admins cannot flip it.
    Changing the role is checked against the actor's own (``check_role_change``): only an
    admin grants or takes away admin, or a role above the actor's.
    """
    details: dict = {}
    if registry_admin is not None and registry_admin != membership.registry_admin:
        authorize(actor, "registry:manage_admins", membership)
    if role_name_ is not None and role_name_ != role_name(membership):
        role, custom = resolve_role(role_name_)
        check_role_change(
            actor,
            membership.team,
            current=membership_grants(membership),
            new=grants_of_role(role, custom),
        )
        if membership.user.is_service_account and role != "member":
            raise ValidationFailed(
                "Service accounts always act with the member role.", code="invalid_role"
            )
        if role != "admin":
            _ensure_keeps_an_admin(membership)
        membership.role = role
        membership.custom_role_id = custom.id if custom else None
        details["role"] = role_name_
    if registry_admin is not None and registry_admin != membership.registry_admin:
        membership.registry_admin = registry_admin
        details["registry_admin"] = registry_admin
    if details:
        audit.record(
            "member:update", target=membership.user, team_id=membership.team_id, details=details
        )
    db.session.commit()
    return membership


def remove_member(membership: Membership, actor=None) -> None:
    """Remove from the team; everything they created stays, still attributed to them.

    Raises Forbidden when ``actor`` may not take the member's role away (admin, or above its
    own), Conflict for the last admin."""
    check_role_change(actor, membership.team, current=membership_grants(membership))
    _ensure_keeps_an_admin(membership)
    audit.record("member:remove", target=membership.user, team_id=membership.team_id)
    db.session.delete(membership)
    db.session.commit()
