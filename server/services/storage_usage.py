"""How much each team stores, measured out of band and cached in ``team_storage_usage``.

Counting a bucket lists every object, which can take minutes on a large bucket, so the
dashboard never does it: ``outpost maintenance refresh-usage`` (e.g. from cron) measures each
team's internal bucket and the dashboard shows the cached value and its age. A team's own
bucket (secure storage connector) may hold the customer's other data and is not measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Team, TeamStorageUsage
from .team_storage import instance_provider


@dataclass
class TeamUsage:
    team: str
    display_name: str
    storage_kind: str
    used_bytes: int | None
    measured_at: datetime | None
    error: str


@dataclass
class StorageSummary:
    teams: list[TeamUsage]  # the largest first
    team_count: int
    measured_count: int
    total_bytes: int
    oldest_measurement: datetime | None

    def to_dict(self) -> dict[str, Any]:
        iso = lambda v: v.isoformat().replace("+00:00", "Z") if v else None  # noqa: E731
        return {
            "total_bytes": self.total_bytes,
            "teams_total": self.team_count,
            "teams_measured": self.measured_count,
            "oldest_measurement": iso(self.oldest_measurement),
            "largest_teams": [
                {
                    "team": t.team,
                    "display_name": t.display_name,
                    "storage": t.storage_kind,
                    "used_bytes": t.used_bytes,
                    "measured_at": iso(t.measured_at),
                    "error": t.error or None,
                }
                for t in self.teams
            ],
        }


def storage_summary(limit: int) -> StorageSummary:
    """The ``limit`` largest active teams and the totals, in two queries."""
    u = TeamStorageUsage
    joined = select().select_from(Team).outerjoin(u, u.team_id == Team.id)
    active = Team.state == "active"
    rows = db.session.execute(
        joined.add_columns(
            Team.slug, Team.display_name, Team.storage_kind, u.used_bytes, u.measured_at, u.error
        )
        .where(active)
        .order_by(u.used_bytes.desc().nulls_last(), Team.slug)
        .limit(limit)
    ).all()
    count, measured, total, oldest = db.session.execute(
        joined.add_columns(
            func.count(Team.id),
            func.count(u.used_bytes),
            func.coalesce(func.sum(u.used_bytes), 0),
            func.min(u.measured_at),
        ).where(active)
    ).one()
    return StorageSummary(
        teams=[TeamUsage(*row[:5], row[5] or "") for row in rows],
        team_count=count,
        measured_count=measured,
        total_bytes=int(total),
        oldest_measurement=oldest,
    )


def refresh_usage(slugs: list[str] | None = None) -> list[dict[str, Any]]:
    """Measure the internal bucket of every active team (or of the named ones), committing
    after each team. A failed measurement keeps the last value and records the error.
    Returns one report entry per team."""
    from ..storage import StorageError

    stmt = select(Team).where(Team.state == "active").order_by(Team.slug)
    if slugs:
        stmt = stmt.where(Team.slug.in_(slugs))
    report = []
    for team in db.session.scalars(stmt).all():
        if team.storage_kind != "internal" or not team.bucket:
            report.append({"team": team.slug, "status": "skipped", "reason": "own bucket"})
            continue
        row = db.session.get(TeamStorageUsage, team.id) or TeamStorageUsage(team_id=team.id)
        try:
            used = instance_provider().bucket_usage(team.bucket)
        except StorageError as exc:
            row.error = str(exc)[:255]
            row.measured_at = row.measured_at or clock.now()
            report.append({"team": team.slug, "status": "failed", "reason": row.error})
        else:
            row.used_bytes, row.measured_at, row.error = used, clock.now(), ""
            report.append({"team": team.slug, "status": "measured", "used_bytes": used})
        db.session.add(row)
        db.session.commit()
    seen = {entry["team"] for entry in report}
    report += [{"team": s, "status": "not_found"} for s in slugs or () if s not in seen]
    return report
