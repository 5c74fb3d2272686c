"""runs: the git remote and commit a run's code came from

Revision ID: d4a7c2e9f150
Revises: b7e2f4a91c03
Create Date: 2026-12-04 22:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4a7c2e9f150"
down_revision = "b7e2f4a91c03"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("git_remote", sa.String(length=512), nullable=True))
        batch.add_column(sa.Column("git_commit", sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("git_commit")
        batch.drop_column("git_remote")
