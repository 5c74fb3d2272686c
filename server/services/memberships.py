"""Team membership and role resolution."""

from __future__ import annotations

from sqlalchemy import select

from ..auth.permissions import BUILTIN_ROLES, REGISTRY_ADMIN_GRANTS, is_known
from ..extensions import db
from ..models import CustomRole, Membership, Team


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
    row = db.session.execute(stmt).first()
    if row is None:
        return frozenset()
    role, registry_admin, custom_base, custom_permissions = row
    grants = role_grants(role, custom_base, custom_permissions)
    if registry_admin:
        grants = grants | REGISTRY_ADMIN_GRANTS
    return frozenset(grants)
