"""downsampled metric history for charts; runs table indexes

Revision ID: 7c1e2d9a4b55
Revises: a1c0d5e7f9b2
Create Date: 2026-12-04 19:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c1e2d9a4b55"
down_revision = "a1c0d5e7f9b2"
branch_labels = None
depends_on = None


def upgrade():
    # Runs logged before this table existed get their buckets on first view
    # (services.metric_series rebuilds them from the history).
    op.create_table(
        "run_metric_buckets",
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("step_min", sa.BigInteger(), nullable=False),
        sa.Column("step_max", sa.BigInteger(), nullable=False),
        sa.Column("vmin", sa.Float(), nullable=False),
        sa.Column("vmax", sa.Float(), nullable=False),
        sa.Column("vsum", sa.Float(), nullable=False),
        sa.Column("t_min", sa.Float(), nullable=False),
        sa.Column("t_max", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"],
            ["runs.id"],
            name=op.f("fk_run_metric_buckets_run_pk_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "run_pk", "level", "key", "bucket", name=op.f("pk_run_metric_buckets")
        ),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_runs_project_created", ["project_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_runs_project_name", ["project_id", "name", "id"], unique=False)
        batch_op.create_index(
            "ix_runs_project_state_created",
            ["project_id", "state", "created_at", "id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_project_state_created")
        batch_op.drop_index("ix_runs_project_name")
        batch_op.drop_index("ix_runs_project_created")
    op.drop_table("run_metric_buckets")
