"""What registry admins look after: the team's protected-alias list and who is a registry
admin (the per-team ``registry_admin`` membership flag)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import Membership, ProtectedAlias, Team
from . import audit, memberships
from .artifacts import validate_alias
from .registry import is_protected

# --- protected aliases ---------------------------------------------------------------------


def protected_query(team: Team):
    return (
        select(ProtectedAlias)
        .where(ProtectedAlias.team_id == team.id)
        .options(selectinload(ProtectedAlias.created_by))
    )


def add_protected(actor, team: Team, alias: str) -> ProtectedAlias:
    """Put an alias name on the team's protected list. Raises ValidationFailed for a bad
    alias, Conflict ``protected_alias_exists``."""
    validate_alias(alias)
    exists = Conflict(f"{alias!r} is protected already.", code="protected_alias_exists")
    if is_protected(team.id, alias):
        raise exists
    row = ProtectedAlias(team_id=team.id, alias=alias, created_by_id=actor.id)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise exists from None
    audit.record(
        "protected_alias:add", target=row, target_type="protected_alias", target_name=alias
    )
    db.session.commit()
    return row


def remove_protected(team: Team, alias: str) -> None:
    """Take an alias off the protected list (aliases already set stay, unprotected)."""
    row = db.session.scalar(
        select(ProtectedAlias).where(
            ProtectedAlias.team_id == team.id, ProtectedAlias.alias == alias
        )
    )
    if row is None:
        raise NotFound(f"{alias!r} is not a protected alias.", code="protected_alias_not_found")
    audit.record(
        "protected_alias:remove", target=row, target_type="protected_alias", target_name=alias
    )
    db.session.delete(row)
    db.session.commit()


# --- registry admins -----------------------------------------------------------------------


def admins_query(team: Team):
    return memberships.members_query(team).where(Membership.registry_admin.is_(True))


def set_registry_admin(team: Team, username: str, flag: bool) -> Membership:
    """Give or take the per-team registry-admin flag. Raises NotFound ``member_not_found``,
    ValidationFailed ``invalid_member`` (service accounts), NotFound
    ``registry_admin_not_found`` when removing someone who is not one."""
    membership = memberships.load_membership(team, username)
    if flag and membership.user.is_service_account:
        raise ValidationFailed("Service accounts cannot be registry admins.", code="invalid_member")
    if not flag and not membership.registry_admin:
        raise NotFound(
            f"{membership.user.username} is not a registry admin of {team.slug}.",
            code="registry_admin_not_found",
        )
    if membership.registry_admin != flag:
        membership.registry_admin = flag
        audit.record(
            "registry_admin:add" if flag else "registry_admin:remove",
            target=membership.user,
            team_id=team.id,
        )
        db.session.commit()
    return membership
