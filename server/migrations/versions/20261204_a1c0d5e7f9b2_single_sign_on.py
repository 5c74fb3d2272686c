"""single sign-on: identities at the OpenID Connect provider, break-glass admins, group mapping,
personal GitHub connections

Revision ID: a1c0d5e7f9b2
Revises: 9b1e5c7d2a41
Create Date: 2026-12-04 19:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a1c0d5e7f9b2"
down_revision = "9b1e5c7d2a41"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_identities")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_user_identities_issuer")),
    )
    op.create_index(
        op.f("ix_user_identities_user_id"), "user_identities", ["user_id"], unique=False
    )
    op.create_table(
        "sso_group_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_sso_group_rules_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_group_rules")),
        sa.UniqueConstraint("claim", "value", "team_id", name=op.f("uq_sso_group_rules_claim")),
    )
    op.create_index(
        op.f("ix_sso_group_rules_team_id"), "sso_group_rules", ["team_id"], unique=False
    )
    op.create_table(
        "sso_team_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_sso_team_grants_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sso_team_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_team_grants")),
        sa.UniqueConstraint("user_id", "team_id", name=op.f("uq_sso_team_grants_user_id")),
    )
    op.create_index(
        op.f("ix_sso_team_grants_team_id"), "sso_team_grants", ["team_id"], unique=False
    )
    op.create_index(
        op.f("ix_sso_team_grants_user_id"), "sso_team_grants", ["user_id"], unique=False
    )
    op.create_table(
        "github_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("github_login", sa.String(length=100), nullable=False),
        sa.Column("github_id", sa.BigInteger(), nullable=False),
        sa.Column("token_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_github_connections_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_github_connections")),
        sa.UniqueConstraint("user_id", name=op.f("uq_github_connections_user_id")),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("break_glass", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("break_glass")
    op.drop_table("github_connections")
    op.drop_table("sso_team_grants")
    op.drop_table("sso_group_rules")
    op.drop_index(op.f("ix_user_identities_user_id"), table_name="user_identities")
    op.drop_table("user_identities")
