"""artifact versions a run used (its inputs), with the time each was declared

Revision ID: d4a7c2e9f1b6
Revises: d4a7c2e9f150
Create Date: 2026-12-04 22:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d4a7c2e9f1b6"
down_revision = "d4a7c2e9f150"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "run_artifact_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("used_by_id", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"],
            ["runs.id"],
            name=op.f("fk_run_artifact_uses_run_pk_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["artifact_versions.id"],
            name=op.f("fk_run_artifact_uses_version_id_artifact_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["used_by_id"],
            ["users.id"],
            name=op.f("fk_run_artifact_uses_used_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_artifact_uses")),
        sa.UniqueConstraint("run_pk", "version_id", name="uq_run_artifact_uses_run_pk_version_id"),
    )
    op.create_index("ix_run_artifact_uses_version_id_id", "run_artifact_uses", ["version_id", "id"])


def downgrade():
    op.drop_index("ix_run_artifact_uses_version_id_id", table_name="run_artifact_uses")
    op.drop_table("run_artifact_uses")
