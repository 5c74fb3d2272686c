"""artifact reference entries: a manifest entry may name a URI the client resolves itself

Revision ID: d4a8c2e6f1b7
Revises: d4a7c2e9f1b6
Create Date: 2026-12-04 22:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4a8c2e6f1b7"
down_revision = "d4a7c2e9f1b6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("artifact_files") as batch:
        batch.add_column(sa.Column("ref", sa.Text(), nullable=True))
        batch.add_column(sa.Column("ref_digest", sa.String(length=512), nullable=True))


def downgrade():
    with op.batch_alter_table("artifact_files") as batch:
        batch.drop_column("ref_digest")
        batch.drop_column("ref")
