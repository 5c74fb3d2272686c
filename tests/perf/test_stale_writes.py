"""Run changes are written once over the row as read; when another request changed the row
in between, the change is read again under a row lock and merged, never written over it."""

import pytest
from sqlalchemy import update

from server import clock
from server.extensions import db
from server.models import Run
from server.services import run_history, run_queries
from server.services import runs as service
from tests.factories import make_project, make_run, make_team, make_user


@pytest.fixture
def run(app):
    bob = make_user("bob", password=None)
    project = make_project(make_team("lab", members=[bob]), "mnist")
    made = make_run(project, bob, "r1", summary={"acc": 0.5}, history_count=0)
    return run_queries.load_run(project, made.run_id)  # what a request read


def _changed_elsewhere(run, **values):
    """Another request's committed change, on its own connection."""
    with db.engine.begin() as conn:
        stmt = update(Run.__table__).where(Run.__table__.c.id == run.id)
        conn.execute(stmt.values(updated_at=clock.now(), **values))


def test_a_batch_over_a_stale_read_keeps_the_other_requests_summary_keys(run):
    _changed_elsewhere(run, summary={"acc": 0.5, "f1": 0.7})
    answer = run_history.append_history(run, [{"_step": 0, "loss": 1.0}])
    assert answer["accepted"] == 1
    db.session.expire_all()
    stored = db.session.get(Run, run.id)
    assert stored.summary == {"acc": 0.5, "f1": 0.7, "loss": 1.0}
    assert stored.history_count == 1 and stored.last_step == 0


def test_a_batch_over_a_stale_read_sees_the_steps_stored_meanwhile(run):
    _changed_elsewhere(run, last_step=9, history_count=10)
    with pytest.raises(Exception) as refused:
        run_history.append_history(run, [{"_step": 5, "loss": 1.0}])
    assert getattr(refused.value, "code", None) == "step_not_increasing"


def test_finishing_over_a_stale_read_sees_a_stop_request_made_meanwhile(run):
    _changed_elsewhere(run, stop_requested=True)
    finished = service.update_run(run, {"state": "finished", "exit_code": 0})
    assert finished.state == "stopped"
    db.session.expire_all()
    assert db.session.get(Run, run.id).state == "stopped"
