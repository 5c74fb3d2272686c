"""The reported attack, against a real gunicorn server: team alpha's service account, allowed to
log runs to team beta's public project, tries to rewrite, finish, extend and upload into a run a
beta member created, and to join beta's sweep. Every attempt is refused and the run is
unchanged; the service account's own run in that project takes the same requests."""

import pytest
import requests

from server.extensions import db
from server.models import Run, RunFile, RunHistoryRow
from tests.factories import (
    bearer,
    make_key,
    make_project,
    make_run,
    make_service_account,
    make_sweep,
    make_team,
    make_user,
)
from tests.fixtures.gunicorn import gunicorn_server


@pytest.fixture
def server(app, tmp_path):
    with gunicorn_server(_url(app), tmp_path / "served", workers=1) as base:
        yield base


def _url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"]


def test_another_teams_service_account_cannot_touch_a_members_run(server):
    bea = make_user("bea", password=None)
    beta = make_team("beta", admins=[make_user(password=None)], members=[bea])
    project = make_project(beta, "pub", visibility="public")
    victim = make_run(project, bea, "victim", config={"lr": 1})
    sweep = make_sweep(project, bea, "beta-sweep")
    bot = make_service_account(make_team("alpha", admins=[make_user(password=None)]), "ci")
    key = bearer(make_key(bot))
    runs = f"{server}/api/v1/teams/beta/projects/pub/runs"

    def send(method, url, body):
        return requests.request(method, url, json=body, headers=key, timeout=30)

    attacks = [
        ("PATCH", f"{runs}/victim", {"name": "pwned", "config": {"lr": 9}, "summary": {"a": 1}}),
        ("PATCH", f"{runs}/victim", {"state": "crashed"}),
        ("POST", f"{runs}/victim/history", {"rows": [{"_step": 0, "loss": 0}]}),
        ("POST", f"{runs}/victim/files", {"path": "media/plot.html", "size": 10}),
        ("POST", runs, {"run_id": "joiner", "sweep": sweep.sweep_id}),
        ("POST", f"{runs}/victim/stop", {"force": True}),
        ("DELETE", f"{runs}/victim", None),
    ]
    for method, url, body in attacks:
        answer = send(method, url, body)
        assert answer.status_code == 403, (method, url, answer.text)
        assert answer.json()["error"]["code"] == "permission_denied"
    db.session.rollback()
    run = db.session.get(Run, victim.id)
    assert (run.name, run.config, run.summary, run.state) == ("victim", {"lr": 1}, {}, "running")
    assert db.session.query(RunHistoryRow).filter_by(run_pk=run.id).count() == 0
    assert db.session.query(RunFile).filter_by(run_pk=run.id).count() == 0
    assert db.session.query(Run).filter_by(run_id="joiner").count() == 0

    # Logging new runs to a public project stays allowed, and so does logging to them.
    assert send("POST", runs, {"run_id": "mine", "config": {"lr": 1}}).status_code == 201
    assert send("PATCH", f"{runs}/mine", {"summary": {"acc": 0.9}}).status_code == 200
    history = send("POST", f"{runs}/mine/history", {"rows": [{"_step": 0, "loss": 1}]})
    assert history.status_code == 200
    assert send("PATCH", f"{runs}/mine", {"state": "finished"}).status_code == 200
    assert send("DELETE", f"{runs}/mine", None).status_code == 403  # logging is not deleting
