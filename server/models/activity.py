"""Activity rollups for the system-admin dashboard, and the cached storage use of each team.

The dashboard never scans raw events. Activity is counted as it happens into three small
tables: the code upserts ``activity_daily`` only, and database triggers (migration
``e3a9c6d1f248``) add every change of a daily row to its monthly row and day total in the same
statement:

- ``activity_daily``: one row per (kind, UTC day, user, team) with a count; WAU/MAU and the
  edges of a period are read from here.
- ``activity_monthly``: the same per calendar month, with the number of distinct days, so
  "most active" over long periods reads at most one row per user and month.
- ``activity_day_totals``: one row per (kind, day): distinct users and the count, so a chart
  over a year reads 365 rows.

``team_id`` is 0 for activity that belongs to no team, and activity in a team is also counted
on a *team row* with ``user_id`` 0, so "most active teams" reads one row per team and month
(0 instead of NULL keeps the keys unique on every database: NULLs never conflict). Rollups
keep plain ids, not foreign keys: they outlive users and purged teams until the retention
period drops them.

The rollups are stored in key order (SQLite ``WITHOUT ROWID``; on PostgreSQL the primary key
index carries the counters with ``INCLUDE``), so a period is one contiguous range read.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime

NO_TEAM = 0
TEAM_ROW = 0  # user_id of the row that counts a whole team


class ActivityDaily(db.Model):
    __tablename__ = "activity_daily"
    __table_args__ = (
        PrimaryKeyConstraint(
            "kind",
            "day",
            "user_id",
            "team_id",
            name="pk_activity_daily",
            postgresql_include=["count"],
        ),
        {"sqlite_with_rowid": False},
    )

    kind: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    user_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_TEAM)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ActivityMonthly(db.Model):
    __tablename__ = "activity_monthly"
    __table_args__ = (
        PrimaryKeyConstraint(
            "kind",
            "month",
            "user_id",
            "team_id",
            name="pk_activity_monthly",
            postgresql_include=["days", "count"],
        ),
        {"sqlite_with_rowid": False},
    )

    kind: Mapped[str] = mapped_column(String(32))
    month: Mapped[date] = mapped_column(Date)  # the first day of the month
    user_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int] = mapped_column(Integer, default=NO_TEAM)
    days: Mapped[int] = mapped_column(Integer, default=0)  # days with a daily row
    count: Mapped[int] = mapped_column(Integer, default=0)


class ActivityDayTotal(db.Model):
    __tablename__ = "activity_day_totals"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # Distinct (user, team) pairs that day: distinct users for kinds without a team.
    users: Mapped[int] = mapped_column(Integer, default=0)
    count: Mapped[int] = mapped_column(Integer, default=0)


class TeamStorageUsage(db.Model):
    """Bytes in a team's bucket, measured out of band (``outpost maintenance refresh-usage``)
    because listing a bucket is slow."""

    __tablename__ = "team_storage_usage"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    used_bytes: Mapped[int | None] = mapped_column(BigInteger)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(String(255), default="")
