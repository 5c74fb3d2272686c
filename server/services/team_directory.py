"""Every team of the instance for system admins: active and deleted lists, member counts, and
when a deletion would be purged."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Membership, Team


def active_teams_query():
    return select(Team).where(Team.state == "active")


def deleted_teams_query():
    return select(Team).where(Team.state == "deleted")


def member_counts(team_ids: list[int]) -> dict[int, int]:
    """``{team id: members (people and service accounts)}``, one query for the whole page."""
    if not team_ids:
        return {}
    rows = db.session.execute(
        select(Membership.team_id, func.count(Membership.id))
        .where(Membership.team_id.in_(team_ids))
        .group_by(Membership.team_id)
    ).all()
    return dict(rows)


def retention_days() -> int:
    return current_app.config["OUTPOST"].team_deletion_retention_days


def purge_date_if_deleted_now() -> datetime:
    """When a team deleted now would be purged (its data gone for good)."""
    return clock.now() + timedelta(days=retention_days())
