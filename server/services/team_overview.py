"""One team as a system admin sees it (Admin › Teams › a team): what it holds and stores, and
handing its admin rights to another member (transfer)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import (
    ArtifactCollection,
    ArtifactVersion,
    Membership,
    Project,
    Report,
    Run,
    Team,
    TeamInvitation,
    TeamStorageUsage,
    User,
)
from . import audit
from .locking import lock_rows
from .memberships import check_role_change, grants_of_role, load_membership, membership_grants


@dataclass
class TeamUsage:
    members: int
    admins: list[str]
    service_accounts: int
    pending_invitations: int
    projects: int
    runs: int
    reports: int
    artifact_versions: int
    used_bytes: int | None
    measured_at: datetime | None
    measure_error: str


def _scalar(stmt) -> int:
    return db.session.scalar(stmt) or 0


def usage(team: Team) -> TeamUsage:
    """Counts for the team's page: a handful of aggregate queries, no bucket listing (bytes
    stored come from the last ``outpost maintenance refresh-usage``)."""
    in_team = Project.team_id == team.id
    projects = select(Project.id).where(in_team)
    measured = db.session.get(TeamStorageUsage, team.id)
    member_rows = select(func.count(Membership.id)).where(Membership.team_id == team.id)
    return TeamUsage(
        members=_scalar(member_rows),
        admins=list(
            db.session.scalars(
                select(User.username)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.team_id == team.id, Membership.role == "admin")
                .order_by(User.username)
            )
        ),
        service_accounts=_scalar(
            select(func.count(User.id)).where(User.service_team_id == team.id)
        ),
        pending_invitations=_scalar(
            select(func.count(TeamInvitation.id)).where(
                TeamInvitation.team_id == team.id, TeamInvitation.accepted_at.is_(None)
            )
        ),
        projects=_scalar(select(func.count(Project.id)).where(in_team)),
        runs=_scalar(select(func.count(Run.id)).where(Run.project_id.in_(projects))),
        reports=_scalar(select(func.count(Report.id)).where(Report.project_id.in_(projects))),
        artifact_versions=_scalar(
            select(func.count(ArtifactVersion.id))
            .join(ArtifactCollection, ArtifactCollection.id == ArtifactVersion.collection_id)
            .where(ArtifactCollection.team_id == team.id)
        ),
        used_bytes=measured.used_bytes if measured else None,
        measured_at=measured.measured_at if measured else None,
        measure_error=measured.error if measured else "",
    )


def transfer_admin(actor, team: Team, username: str, *, demote_others: bool) -> list[str]:
    """Make ``username`` (a member, a person, active) an admin of ``team``; with
    ``demote_others`` every other admin becomes a member, so the team changes hands.

    Raises NotFound (``member_not_found``), ValidationFailed (``invalid_member``) and Conflict
    (``already_admin``, ``user_not_active``). Audited as ``team:transfer``; returns the
    usernames that were demoted."""
    target = load_membership(team, username)
    if target.user.is_service_account:
        raise ValidationFailed(
            "Service accounts always act with the member role.", code="invalid_member"
        )
    if target.user.state != "active":
        raise Conflict(
            f"{target.user.username} is {target.user.state}: hand the team to an active member.",
            code="user_not_active",
        )
    admin_grants = grants_of_role("admin", None)
    admins = lock_rows(
        select(Membership.id).where(Membership.team_id == team.id, Membership.role == "admin")
    )
    if target.role == "admin" and (not demote_others or admins == [target.id]):
        raise Conflict(
            f"{target.user.username} is already an admin of {team.slug}.", code="already_admin"
        )
    check_role_change(actor, team, current=membership_grants(target), new=admin_grants)
    previous = target.role
    target.role, target.custom_role_id = "admin", None
    demoted: list[str] = []
    if demote_others:
        for other in db.session.scalars(select(Membership).where(Membership.id.in_(admins))):
            if other.id == target.id:
                continue
            check_role_change(actor, team, current=admin_grants, new=grants_of_role("member", None))
            other.role = "member"
            demoted.append(other.user.username)
    audit.record(
        "team:transfer",
        target=team,
        team_id=team.id,
        details={"to": target.user.username, "previous_role": previous, "demoted": sorted(demoted)},
    )
    db.session.commit()
    return sorted(demoted)
