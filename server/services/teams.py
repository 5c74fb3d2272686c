"""Teams: create, list, show, update, delete (delayed, restorable) and restore."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .. import clock
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import Membership, Team, User
from . import audit, team_storage
from .licensing import current_status

log = logging.getLogger(__name__)
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
PROFILE_FIELDS = ("display_name", "intro", "profile_visibility", "links", "showcase")


def validate_slug(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if len(slug) < 2 or not SLUG_RE.match(slug):
        raise ValidationFailed(
            "Team names are 2-64 lowercase letters, digits or '-', starting and ending with a "
            "letter or digit.",
            code="invalid_team_name",
        )
    return slug


def team_not_found(team: str) -> NotFound:
    """The error for a team that does not exist, and for one the caller may not see: the two
    must not be told apart, or team names could be probed."""
    return NotFound(f"No team named {team.lower()!r}.", code="team_not_found")


def load_team(team: str, *, include_deleted: bool = False) -> Team:
    """The team named ``team``; NotFound (``team_not_found``) if missing or being deleted."""
    row = db.session.scalar(select(Team).where(Team.slug == team.lower()))
    if row is None or (row.state != "active" and not include_deleted):
        raise team_not_found(team)
    return row


def load_deleted_team(team: str) -> Team:
    row = load_team(team, include_deleted=True)
    if row.state != "deleted":
        raise Conflict(f"Team {team!r} is not deleted.", code="team_not_deleted")
    return row


def _ensure_team_limit() -> None:
    status = current_status()
    limit = status.license.max_teams if status.license is not None else None
    if limit is None or status.state == "invalid":
        return
    count = db.session.scalar(select(func.count(Team.id)).where(Team.state == "active")) or 0
    if count >= limit:
        raise Conflict(
            f"The license allows {limit} teams and all are in use.", code="team_limit_reached"
        )


def create_team(
    actor, name: str, display_name: str = "", *, admin: User | None = None, storage: Any = None
) -> Team:
    """Create a team whose first admin is ``admin`` (default: the actor).

    Raises ValidationFailed for a bad name, Conflict when the name is taken or the license's
    team limit is reached. Storage is provisioned by :mod:`.team_storage` before the team row
    is committed, so a failure leaves nothing behind.
    """
    slug = validate_slug(name)
    first_admin = admin or db.session.get(User, actor.id)
    if first_admin is None or first_admin.is_service_account or not first_admin.is_active:
        raise ValidationFailed("The first admin must be an active user.", code="invalid_admin")
    return _insert_team(slug, display_name, actor.id, first_admin, storage, None)


def create_provisioned_team(
    name: str, display_name: str, *, created_by_id: int | None, external_id: str | None
) -> Team:
    """Create a team for an identity provider (a SCIM group) on internal storage, without
    members: the provider adds them, and their roles, next. Raises what :func:`create_team`
    raises for the name, the team limit and storage."""
    return _insert_team(validate_slug(name), display_name, created_by_id, None, None, external_id)


def _insert_team(
    slug: str,
    display_name: str,
    created_by_id: int | None,
    first_admin: User | None,
    storage: Any,
    external_id: str | None,
) -> Team:
    if _slug_taken(slug):
        raise Conflict(f"A team named {slug!r} already exists.", code="team_exists")
    _ensure_team_limit()
    placement = team_storage.provision_for_new_team(slug, storage)
    team = Team(
        slug=slug,
        display_name=(display_name or slug)[:128],
        created_by_id=created_by_id,
        storage_kind=placement.kind,
        bucket=placement.bucket,
        storage_config=placement.config,
        storage_credentials=placement.credentials,
        external_id=external_id,
    )
    try:
        db.session.add(team)
        db.session.flush()
        if first_admin is not None:
            db.session.add(Membership(team_id=team.id, user_id=first_admin.id, role="admin"))
        audit.record(
            "team:create",
            target=team,
            team_id=team.id,
            details={"storage": placement.kind, "bucket": placement.bucket},
        )
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        if isinstance(exc, IntegrityError) and _slug_taken(slug):
            # Created at the same moment by another request: the bucket is that team's now.
            raise Conflict(f"A team named {slug!r} already exists.", code="team_exists") from None
        team_storage.undo_provisioning(placement)
        raise
    return team


def _slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Team.id).where(Team.slug == slug)) is not None


def deleted_teams_query():
    """Teams deleted and not purged yet (restorable until their ``purge_after``)."""
    return select(Team).where(Team.state == "deleted")


def teams_query(principal):
    """Teams the principal can see: members see theirs; system admins see every team."""
    stmt = select(Team).where(Team.state == "active")
    if not principal.system_admin:
        stmt = stmt.join(Membership, Membership.team_id == Team.id).where(
            Membership.user_id == principal.id
        )
    return stmt


def update_team(team: Team, changes: dict[str, Any]) -> Team:
    """Update display name and profile; a field given as None is left as it is. Raises
    Conflict for any storage change (no bucket migration) and ValidationFailed for a bad
    visibility."""
    if "storage" in changes:
        raise Conflict(
            "A team's storage is fixed when the team is created: bucket migration is not "
            "supported.",
            code="storage_migration_not_supported",
        )
    if changes.get("profile_visibility") not in (None, "public", "members"):
        raise ValidationFailed(
            "profile_visibility must be 'public' or 'members'.", code="invalid_visibility"
        )
    applied = {
        key: value for key, value in changes.items() if key in PROFILE_FIELDS and value is not None
    }
    for key, value in applied.items():
        setattr(team, key, value)
    audit.record("team:update", target=team, team_id=team.id, details={"fields": sorted(applied)})
    db.session.commit()
    return team


def delete_team(team: Team, confirm: str) -> Team:
    """Mark for deletion; restorable until ``purge_after``. ``confirm`` must repeat the name."""
    if (confirm or "").strip().lower() != team.slug:
        raise ValidationFailed(
            f"Type the team name ({team.slug}) to confirm deletion.", code="confirmation_required"
        )
    now = clock.now()
    days = current_app.config["OUTPOST"].team_deletion_retention_days
    team.state = "deleted"
    team.deleted_at = now
    team.purge_after = now + timedelta(days=days)
    audit.record(
        "team:delete",
        target=team,
        team_id=team.id,
        details={"purge_after": team.purge_after.isoformat()},
    )
    db.session.commit()
    return team


def restore_team(team: Team) -> Team:
    """Bring a deleted team back before it is purged. Raises Conflict when the name was taken
    again or the retention period is over."""
    if team.purge_after is not None and clock.now() >= team.purge_after:
        raise Conflict(
            "The retention period is over; this team is being purged.", code="retention_over"
        )
    team.state = "active"
    team.deleted_at = None
    team.purge_after = None
    audit.record("team:restore", target=team, team_id=team.id)
    db.session.commit()
    return team


@dataclass
class PurgeReport:
    """One purge run: the teams purged, and those kept because their storage failed."""

    purged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # slug -> reason


def due_for_purge() -> list[Team]:
    """Deleted teams whose retention period is over, oldest deletion first."""
    stmt = select(Team).where(Team.state == "deleted", Team.purge_after <= clock.now())
    return list(db.session.scalars(stmt.order_by(Team.purge_after, Team.id)))


def purge_teams() -> PurgeReport:
    """Purge every team whose retention ended: its internal bucket is emptied and removed (a
    team's own bucket is never touched), then the team and its data are deleted.

    A team that cannot be purged is kept, with a failed ``team:purge`` audit event, so the next
    run tries again; the other teams go on.
    """
    report = PurgeReport()
    for team in due_for_purge():
        slug = team.slug
        problem = _purge_team(team)
        if problem is None:
            report.purged.append(slug)
        else:
            report.failed[slug] = problem
    return report


def _purge_team(team: Team) -> str | None:
    """Purge one team; return None, or why it was kept."""
    from ..storage import StorageError

    team_id, bucket, kind = team.id, team.bucket, team.storage_kind
    try:
        removed = team_storage.purge_team_storage(team)
        details = {"storage": kind, "bucket": bucket, "bucket_removed": removed}
        audit.record("team:purge", target=team, team_id=team_id, details=details)
        db.session.delete(team)
        db.session.commit()
        return None
    except StorageError as exc:
        code, reason = exc.code, f"its storage could not be purged: {exc.message}"
    except SQLAlchemyError as exc:
        code, reason = "database_error", f"its data could not be deleted: {exc.__class__.__name__}"
        log.error("purging team %s failed: %s", team_id, exc)
    db.session.rollback()
    details = {"bucket": bucket, "error": code, "reason": reason}
    audit.record_now("team:purge", target=team, team_id=team_id, result="failure", details=details)
    return reason


def purge_expired_teams() -> list[str]:
    """The slugs :func:`purge_teams` purged (teams it had to keep are in its report)."""
    return purge_teams().purged
