"""run console log and system metrics lines; run files declared before their size is known

Revision ID: 9b1e5c7d2a41
Revises: 7c1e5a9d3b20
Create Date: 2026-12-04 19:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "9b1e5c7d2a41"
down_revision = "7c1e5a9d3b20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "run_stream_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_pk", sa.Integer(), nullable=False),
        sa.Column("stream", sa.String(length=16), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"],
            ["runs.id"],
            name=op.f("fk_run_stream_lines_run_pk_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_stream_lines")),
        sa.UniqueConstraint("run_pk", "stream", "line", name="uq_run_stream_lines_run_stream_line"),
    )
    with op.batch_alter_table("run_files") as batch_op:
        batch_op.alter_column("size", existing_type=sa.BigInteger(), nullable=True)


def downgrade():
    with op.batch_alter_table("run_files") as batch_op:
        batch_op.alter_column("size", existing_type=sa.BigInteger(), nullable=False)
    op.drop_table("run_stream_lines")
