"""SCIM provisioning: SCIM tokens, userName/externalId on users, externalId on teams, roles

Revision ID: 7c1e5a9d3b20
Revises: 9c1e5b7d2a60
Create Date: 2026-12-04 19:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7c1e5a9d3b20"
down_revision = "9c1e5b7d2a60"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scim_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_scim_tokens_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scim_tokens")),
        sa.UniqueConstraint("name", name=op.f("uq_scim_tokens_name")),
        sa.UniqueConstraint("token_id", name=op.f("uq_scim_tokens_token_id")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scim_user_name", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("external_id", sa.String(length=254), nullable=True))
        batch_op.add_column(
            sa.Column("scim_deprovisioned", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_users_external_id"), ["external_id"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_users_scim_user_name"), ["scim_user_name"])
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=254), nullable=True))
        batch_op.create_index(batch_op.f("ix_teams_external_id"), ["external_id"], unique=False)
    with op.batch_alter_table("custom_roles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("custom_roles", schema=None) as batch_op:
        batch_op.drop_column("external_id")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_external_id"))
        batch_op.drop_column("external_id")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_scim_user_name"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_users_external_id"))
        batch_op.drop_column("scim_deprovisioned")
        batch_op.drop_column("external_id")
        batch_op.drop_column("scim_user_name")
    op.drop_table("scim_tokens")
