"""indexes for every list filter: runs by state, group and sweep; audit log by action,
actor, team and result (each an index range in page order)

Revision ID: b7e2f4a91c03
Revises: 7c1e2d9a4b55
Create Date: 2026-12-04 20:05:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e2f4a91c03"
down_revision = "7c1e2d9a4b55"
branch_labels = None
depends_on = None

RUNS = {
    "ix_runs_project_id_id": ["project_id", "id"],
    "ix_runs_project_state_id": ["project_id", "state", "id"],
    "ix_runs_project_group_id": ["project_id", "group", "id"],
    "ix_runs_sweep_id_id": ["sweep_id", "id"],
}
RUNS_REPLACED = {"ix_runs_project_id": ["project_id"], "ix_runs_sweep_id": ["sweep_id"]}
# Newest first is (created_at, id) descending: every index ends with both, so PostgreSQL
# needs no sort either.
AUDIT = {
    "ix_audit_events_created_id": ["created_at", "id"],
    "ix_audit_events_action_created_id": ["action", "created_at", "id"],
    "ix_audit_events_actor_created_id": ["actor_id", "created_at", "id"],
    "ix_audit_events_actor_name_created_id": ["actor_name", "created_at", "id"],
    "ix_audit_events_team_created_id": ["team_id", "created_at", "id"],
    "ix_audit_events_result_created_id": ["result", "created_at", "id"],
}
AUDIT_REPLACED = {
    "ix_audit_events_created_at": ["created_at"],
    "ix_audit_events_action_created": ["action", "created_at"],
    "ix_audit_events_actor_id": ["actor_id"],
    "ix_audit_events_team_id": ["team_id"],
}


def _swap(table: str, add: dict, drop: dict) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, columns in add.items():
            batch_op.create_index(name, columns, unique=False)
        for name in drop:
            batch_op.drop_index(name)


def upgrade():
    _swap("runs", RUNS, RUNS_REPLACED)
    _swap("audit_events", AUDIT, AUDIT_REPLACED)


def downgrade():
    _swap("audit_events", AUDIT_REPLACED, AUDIT)
    _swap("runs", RUNS_REPLACED, RUNS)
