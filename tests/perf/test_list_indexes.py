"""Every filter the API and console offer on a growing list is served by an index whose order
is the page order, so a page costs the same at 1,000 or 1,000,000 rows: the plan of the
service's own statement names the index and needs no sort.

Lists not here are bounded by their owner and need no filter index: a team's members,
invitations, projects and service accounts, a user's API keys (all read through an indexed
foreign key and at most a few thousand rows); the activity rollups are read by primary-key
range.
"""

import pytest
from sqlalchemy import text

from server.api.pagination import encode_cursor, paginate
from server.extensions import db
from server.models import Run
from server.services import audit_log
from server.services import run_queries as run_service
from tests.factories import make_project, make_sweep, make_team, make_user


def _sql(stmt) -> str:
    bind = db.session.get_bind()
    return str(stmt.compile(dialect=bind.dialect, compile_kwargs={"literal_binds": True}))


# A log the size of a real one, spread over many actors, actions, teams and results, so
# PostgreSQL's statistics say what they say in production: each filter is selective. On the few
# rows a test makes, with no statistics, the planner may walk the unfiltered index instead.
_REPRESENTATIVE_AUDIT_LOG = """
INSERT INTO audit_events (created_at, actor_name, actor_ip, action, target_type, target_id,
                          target_name, team_id, result, details)
SELECT now() - make_interval(secs => n), 'actor-' || (n % 500), '', 'action:' || (n % 60),
       '', '', '', 100000 + n % 300, CASE WHEN n % 50 = 0 THEN 'failure' ELSE 'success' END, '{}'
FROM generate_series(1, 20000) AS n
"""


# The same for runs: one in twenty in the listed project (the rest in another), and within it
# several states and groups and a sweep holding one run in a hundred.
_REPRESENTATIVE_RUNS = """
INSERT INTO runs (project_id, run_id, name, notes, "group", job_type, tags, config, summary,
                  state, stop_requested, sweep_id, history_count, created_at, updated_at)
SELECT CASE WHEN n % 20 = 0 THEN :project ELSE :other END, 'bulk-' || n, '', '',
       'bulk-group-' || (n / 20 % 100), '', '[]', '{}', '{}',
       CASE WHEN n / 20 % 4 = 0 THEN 'running' ELSE 'finished' END, false,
       CASE WHEN n % 20 = 0 AND n / 20 % 100 = 0 THEN CAST(:sweep AS INTEGER) END, 0,
       now(), now()
FROM generate_series(1, 40000) AS n
"""


def _plan(stmt, runs_of=None) -> str:
    """The statement's plan; on PostgreSQL over a representative audit log and, given
    ``runs_of`` (project, sweep or None), a representative runs table."""
    if db.session.get_bind().dialect.name == "sqlite":
        rows = db.session.execute(text("EXPLAIN QUERY PLAN " + _sql(stmt))).all()
        return "\n".join(row[-1] for row in rows)
    if runs_of is not None:
        project, sweep = runs_of
        other = make_project(project.team, "elsewhere")  # kept: the factory commits
    # Everything below is rolled back, statistics included.
    db.session.execute(text(_REPRESENTATIVE_AUDIT_LOG))
    db.session.execute(text("ANALYZE audit_events"))
    if runs_of is not None:
        params = {"project": project.id, "other": other.id, "sweep": sweep.id if sweep else None}
        db.session.execute(text(_REPRESENTATIVE_RUNS), params)
        db.session.execute(text("ANALYZE runs"))
    # Ask whether an index serves the page in order, not whether, on a few rows, reading them
    # all and sorting would be cheaper. A plan that can only sort still shows the Sort.
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        db.session.execute(text(f"SET LOCAL {setting} = off"))
    rows = db.session.execute(text("EXPLAIN " + _sql(stmt))).all()
    db.session.rollback()
    return "\n".join(row[0] for row in rows)


def _served_by(plan: str, index: str) -> None:
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


@pytest.fixture
def project():
    owner = make_user("owner", password=None)
    return make_project(make_team("lab", members=[owner]), "mnist", created_by=owner)


def _first_page(stmt, cursor=None):
    """The statement ``paginate`` runs for the first page (and, with a cursor, the next)."""
    captured = []
    real = db.session.scalars

    def capture(statement, *args, **kwargs):
        captured.append(statement)
        return real(statement, *args, **kwargs)

    db.session.scalars = capture
    try:
        paginate(stmt, Run.id, cursor=cursor, limit=50)
    finally:
        del db.session.scalars
    return captured[0]


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({}, "ix_runs_project_id_id"),
        ({"state": "running"}, "ix_runs_project_state_id"),
        ({"group": "g1"}, "ix_runs_project_group_id"),
        ({"sweep": True}, "ix_runs_sweep_id_id"),
    ],
)
def test_run_list_filters_are_index_ranges_in_page_order(app, project, filters, index):
    if filters.get("sweep"):
        filters = {"sweep": make_sweep(project, make_user(password=None))}
    stmt = _first_page(run_service.runs_query(project, **filters))
    _served_by(_plan(stmt, runs_of=(project, filters.get("sweep"))), index)


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({}, "ix_runs_project_id_id"),
        ({"state": "running"}, "ix_runs_project_state_id"),
        ({"group": "g1"}, "ix_runs_project_group_id"),
    ],
)
def test_the_next_page_of_runs_starts_inside_the_index_range(app, project, filters, index):
    """A cursor's position bounds the index range itself (not a filter over the rows before
    it), so the hundredth page reads as little as the first."""
    stmt = _first_page(run_service.runs_query(project, **filters), cursor=encode_cursor(5000))
    plan = _plan(stmt, runs_of=(project, None))
    _served_by(plan, index)
    if db.session.get_bind().dialect.name == "postgresql":
        cond = next(line for line in plan.splitlines() if "Index Cond" in line)
        assert "id > 5000" in cond, plan
    else:
        runs = next(line for line in plan.splitlines() if line.startswith("SEARCH runs "))
        assert "AND id>?)" in runs, plan


@pytest.mark.parametrize(
    ("filters", "index"),
    [
        ({}, "ix_audit_events_created_id"),
        ({"actor": "owner"}, "ix_audit_events_actor_created_id"),
        ({"actor": "cli"}, "ix_audit_events_actor_name_created_id"),
        ({"team": "lab"}, "ix_audit_events_team_created_id"),
        ({"result": "failure"}, "ix_audit_events_result_created_id"),
        ({"action": "run:create"}, "ix_audit_events_action_created_id"),
    ],
)
def test_audit_log_filters_are_index_ranges_in_page_order(app, project, filters, index):
    selection = audit_log._selection(audit_log.AuditFilter(**filters))
    _served_by(_plan(audit_log._statement(selection, 50)), index)
