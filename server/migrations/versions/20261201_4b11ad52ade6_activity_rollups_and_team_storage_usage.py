"""activity rollups and team storage usage

Three rollup tables for the activity dashboard (daily and monthly per user/team, daily totals)
and the cached storage use of each team.

Revision ID: 4b11ad52ade6
Revises: 099cdad82cbc
Create Date: 2026-12-01 06:30:40.444356

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4b11ad52ade6"
down_revision = "099cdad82cbc"
branch_labels = None
depends_on = None


def upgrade():
    # Stored in key order (SQLite WITHOUT ROWID; PostgreSQL keeps the counters in the primary
    # key index) so that a dashboard period is one contiguous range read.
    op.create_table(
        "activity_daily",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind",
            "day",
            "user_id",
            "team_id",
            name=op.f("pk_activity_daily"),
            postgresql_include=["count"],
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "activity_monthly",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind",
            "month",
            "user_id",
            "team_id",
            name=op.f("pk_activity_monthly"),
            postgresql_include=["days", "count"],
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "activity_day_totals",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "day", name=op.f("pk_activity_day_totals")),
    )
    op.create_table(
        "team_storage_usage",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("used_bytes", sa.BigInteger(), nullable=True),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_storage_usage_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_team_storage_usage")),
    )


def downgrade():
    op.drop_table("team_storage_usage")
    op.drop_table("activity_day_totals")
    op.drop_table("activity_monthly")
    op.drop_table("activity_daily")
