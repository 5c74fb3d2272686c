"""Deleting a person for good, after deactivation.

What they made stays with their teams: runs, sweeps, reports, comments, projects, artifacts
and registered models keep their rows, and the column naming them as creator is emptied by the
database (``ON DELETE SET NULL``), so the console shows "deleted user" there, as GitLab shows
its ghost user. The audit log keeps who they were: its actor and target names are text.

What only served the person goes with them: API keys, console sessions, team memberships,
invitations they sent that were not accepted yet (team invitations and instance invitation
links), and, by ``ON DELETE CASCADE``, their profile, SSO identities, GitHub connection, report
follows and SSO team grants.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import delete, func, select

from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import (
    ApiKey,
    ArtifactVersion,
    ConsoleSession,
    Membership,
    Project,
    RegisteredModel,
    Report,
    ReportComment,
    Run,
    Sweep,
    Team,
    TeamInvitation,
    User,
    UserInvite,
)
from . import audit
from .locking import lock_rows


@dataclass
class DeletionImpact:
    """What deleting a person does, counted, for the confirmation page and the audit event."""

    runs: int = 0
    sweeps: int = 0
    reports: int = 0
    comments: int = 0
    projects: int = 0
    artifact_versions: int = 0
    models: int = 0
    api_keys: int = 0
    sessions: int = 0
    invitations: int = 0
    teams: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _count(model, column, user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(column == user_id))


def deletion_impact(user: User) -> DeletionImpact:
    uid = user.id
    pending_team = (TeamInvitation.invited_by_id == uid) & TeamInvitation.accepted_at.is_(None)
    return DeletionImpact(
        runs=_count(Run, Run.created_by_id, uid),
        sweeps=_count(Sweep, Sweep.created_by_id, uid),
        reports=_count(Report, Report.created_by_id, uid),
        comments=_count(ReportComment, ReportComment.created_by_id, uid),
        projects=_count(Project, Project.created_by_id, uid),
        artifact_versions=_count(ArtifactVersion, ArtifactVersion.created_by_id, uid),
        models=_count(RegisteredModel, RegisteredModel.created_by_id, uid),
        api_keys=_count(ApiKey, ApiKey.user_id, uid),
        sessions=_count(ConsoleSession, ConsoleSession.user_id, uid),
        invitations=db.session.scalar(
            select(func.count()).select_from(TeamInvitation).where(pending_team)
        )
        + _count(UserInvite, UserInvite.invited_by_id, uid),
        teams=list(
            db.session.scalars(
                select(Team.slug)
                .join(Membership, Membership.team_id == Team.id)
                .where(Membership.user_id == uid)
                .order_by(Team.slug)
            )
        ),
    )


def teams_it_would_leave_without_admin(user: User) -> list[str]:
    """Active teams where ``user`` is the only admin."""
    admin_of = select(Membership.team_id).where(
        Membership.user_id == user.id, Membership.role == "admin"
    )
    others = (
        select(Membership.team_id)
        .where(Membership.role == "admin", Membership.user_id != user.id)
        .where(Membership.team_id.in_(admin_of))
    )
    return list(
        db.session.scalars(
            select(Team.slug)
            .where(Team.id.in_(admin_of), Team.id.not_in(others), Team.state == "active")
            .order_by(Team.slug)
        )
    )


def refusal(actor, user: User, *, lock: bool = False) -> Conflict | None:
    """Why ``actor`` may not delete ``user`` now, or None. With ``lock`` the other system
    admins' rows stay locked until the transaction ends (two deletions at once cannot both
    pass the last-admin check)."""
    if user.is_service_account:
        return Conflict("Service accounts are managed by their team.", code="service_account")
    if actor is not None and getattr(actor, "id", None) == user.id:
        return Conflict("You cannot delete your own account.", code="cannot_delete_self")
    if user.state != "deactivated":
        return Conflict(
            f"Deactivate {user.username} first: only a deactivated user can be deleted.",
            code="user_not_deactivated",
        )
    if user.system_admin and not _other_active_admins(user, lock):
        return Conflict(
            f"{user.username} is the last system admin. Make another user a system admin first.",
            code="last_system_admin",
        )
    orphaned = teams_it_would_leave_without_admin(user)
    if orphaned:
        return Conflict(
            f"{user.username} is the only admin of {', '.join(orphaned)}: make another member "
            "an admin there first (Admin › Teams › the team › Transfer).",
            code="last_team_admin",
        )
    return None


def _other_active_admins(user: User, lock: bool) -> list[int]:
    stmt = select(User.id).where(
        User.system_admin.is_(True), User.state == "active", User.kind == "user", User.id != user.id
    )
    return lock_rows(stmt) if lock else list(db.session.scalars(stmt))


def delete_user(actor, user: User, confirm: str) -> DeletionImpact:
    """Delete a deactivated person for good; ``confirm`` must repeat the username.

    Raises ValidationFailed (``confirmation_required``) and Conflict (``user_not_deactivated``,
    ``cannot_delete_self``, ``last_system_admin``, ``last_team_admin``, ``service_account``).
    Audited as ``user:delete`` with the counts of what stayed and what was removed.
    """
    if (confirm or "").strip().lower() != user.username:
        raise ValidationFailed(
            f"Type the username ({user.username}) to confirm deletion.",
            code="confirmation_required",
        )
    problem = refusal(actor, user, lock=True)
    if problem is not None:
        raise problem
    impact = deletion_impact(user)
    avatar = _avatar_key(user.id)
    uid = user.id
    audit.record("user:delete", target=user, details=impact.to_dict())
    for stmt in (
        delete(ApiKey).where(ApiKey.user_id == uid),
        delete(ConsoleSession).where(ConsoleSession.user_id == uid),
        delete(Membership).where(Membership.user_id == uid),
        delete(TeamInvitation).where(
            TeamInvitation.invited_by_id == uid, TeamInvitation.accepted_at.is_(None)
        ),
        delete(UserInvite).where(UserInvite.invited_by_id == uid),
        delete(User).where(User.id == uid),
    ):
        db.session.execute(stmt.execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expunge(user)  # its row is gone: nothing may reload it
    if avatar:
        from .avatars import delete_avatar_object

        delete_avatar_object(avatar)
    return impact


def _avatar_key(user_id: int) -> str | None:
    from ..models import UserProfile

    return db.session.scalar(select(UserProfile.avatar_key).where(UserProfile.user_id == user_id))
