"""Custom roles: defined instance-wide by system admins, assigned by team admins."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from ..auth.permissions import (
    BUILTIN_ROLES,
    CUSTOM_ROLE_BASES,
    CUSTOM_ROLE_PERMISSIONS,
    is_known,
)
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import CustomRole, Membership, TeamInvitation
from . import audit
from .licensing import require_feature

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,62}$")


def inherited(base: str, permission: str) -> bool:
    """Does base role ``base`` already grant ``permission`` (``x:own`` is in ``x``)?"""
    grants = BUILTIN_ROLES.get(base, frozenset())
    return permission in grants or permission.removesuffix(":own") in grants


def _validate(name: str, base: str, permissions: list[str]) -> tuple[str, str, list[str]]:
    name = (name or "").strip()
    if not NAME_RE.match(name) or name in BUILTIN_ROLES:
        raise ValidationFailed(
            "Role names are 1-63 lowercase letters, digits, spaces, '-' or '_' and may not be a "
            "built-in role's name.",
            code="invalid_role_name",
        )
    if base not in CUSTOM_ROLE_BASES:
        raise ValidationFailed(
            "The base role must be 'view-only' or 'member'.", code="invalid_base_role"
        )
    unknown = [p for p in permissions if not is_known(p)]
    team_only = [
        p
        for p in permissions
        if is_known(p) and p.removesuffix(":own") not in CUSTOM_ROLE_PERMISSIONS
    ]
    if unknown or team_only:
        raise ValidationFailed(
            f"Not team permissions from the vocabulary: {', '.join(unknown + team_only)}.",
            code="unknown_permission",
            allowed=sorted(CUSTOM_ROLE_PERMISSIONS),
        )
    already = sorted(p for p in set(permissions) if inherited(base, p))
    if already:
        raise ValidationFailed(
            f"The {base} role already includes {', '.join(already)}: choose only permissions "
            "it does not have.",
            code="permission_inherited",
            inherited=already,
        )
    return name, base, sorted(set(permissions))


def load_role(name: str) -> CustomRole:
    role = db.session.scalar(select(CustomRole).where(CustomRole.name == name))
    if role is None:
        raise NotFound(f"No custom role named {name!r}.", code="role_not_found")
    return role


def roles_query():
    return select(CustomRole)


def create_role(name: str, base: str, permissions: list[str], description: str = "") -> CustomRole:
    """Raises Forbidden without a license allowing ``custom_roles``; Conflict if the name exists."""
    require_feature("custom_roles")
    name, base, permissions = _validate(name, base, permissions)
    if db.session.scalar(select(CustomRole.id).where(CustomRole.name == name)) is not None:
        raise Conflict(f"A custom role named {name!r} exists.", code="role_exists")
    role = CustomRole(name=name, base=base, permissions=permissions, description=description)
    db.session.add(role)
    db.session.flush()
    audit.record("role:create", target=role, details={"base": base, "permissions": permissions})
    db.session.commit()
    return role


def update_role(
    role: CustomRole, *, base: str | None, permissions: list[str] | None, description: str | None
) -> CustomRole:
    require_feature("custom_roles")
    _, new_base, new_permissions = _validate(
        role.name, base or role.base, role.permissions if permissions is None else permissions
    )
    role.base, role.permissions = new_base, new_permissions
    if description is not None:
        role.description = description
    audit.record(
        "role:update", target=role, details={"base": new_base, "permissions": new_permissions}
    )
    db.session.commit()
    return role


def delete_role(role: CustomRole) -> int:
    """Delete; its holders go back to the base role. Returns how many memberships moved.

    Allowed whatever the license says, so an instance can always clean up."""
    moved = db.session.execute(
        update(Membership)
        .where(Membership.custom_role_id == role.id)
        .values(role=role.base, custom_role_id=None)
    ).rowcount
    db.session.execute(  # invitations not accepted yet join with the base role too
        update(TeamInvitation)
        .where(TeamInvitation.custom_role_id == role.id)
        .values(role=role.base, custom_role_id=None)
    )
    audit.record("role:delete", target=role, details={"members_moved_to_base": moved})
    db.session.delete(role)
    db.session.commit()
    return moved
