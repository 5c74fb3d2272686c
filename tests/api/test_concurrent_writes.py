"""Concurrent requests against a real gunicorn server (several worker processes), on SQLite and
PostgreSQL: an acknowledged write is never lost, and the last-admin rules hold when two
requests race to take the admin role from the last two admins."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from server.extensions import db
from server.models import (
    ActivityDaily,
    ActivityDayTotal,
    ActivityMonthly,
    Membership,
    Run,
    RunHistoryRow,
    User,
)
from tests.factories import (
    add_member,
    bearer,
    make_key,
    make_project,
    make_run,
    make_team,
    make_user,
)
from tests.fixtures.gunicorn import gunicorn_server

ROUNDS = 3
WRITERS = 24


@pytest.fixture(scope="module")
def served(_schema, tmp_path_factory):
    """One server per backend for the module: it keeps nothing between requests."""
    with gunicorn_server(_schema, tmp_path_factory.mktemp("served")) as base:
        yield base


@pytest.fixture
def server(served, app):
    """The served URL, once this test's ``app`` (which empties the tables after it) exists."""
    return served


def all_at_once(calls: list) -> list[requests.Response]:
    """Send every ``(method, url, headers, json)`` call at the same moment, one thread each."""
    barrier = threading.Barrier(len(calls))

    def send(call):
        method, url, headers, body = call
        barrier.wait(timeout=30)
        return requests.request(method, url, headers=headers, json=body, timeout=60)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(send, calls))


def fresh(model, pk):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, pk)


# --- runs ---------------------------------------------------------------------------------


@pytest.fixture
def lab():
    ada = make_user("ada", password=None)
    team = make_team("lab", members=[ada], admins=[make_user(password=None)])
    return make_project(team, "mnist"), ada, bearer(make_key(ada))


def test_concurrent_run_updates_keep_every_key(server, lab):
    project, ada, key = lab
    for round_ in range(ROUNDS):
        run = make_run(project, ada, f"r{round_}")
        url = f"{server}/api/v1/teams/lab/projects/mnist/runs/{run.run_id}"
        calls = [
            ("PATCH", url, key, {"config": {f"c{i}": i}, "summary": {f"s{i}": i}})
            for i in range(WRITERS)
        ]
        answers = all_at_once(calls)
        assert [a.status_code for a in answers] == [200] * WRITERS, [a.text for a in answers]
        stored = fresh(Run, run.id)
        assert stored.config == {f"c{i}": i for i in range(WRITERS)}
        assert stored.summary == {f"s{i}": i for i in range(WRITERS)}


def test_concurrent_history_and_summary_writes_keep_what_was_acknowledged(server, lab):
    """History batches race with summary updates: every accepted batch's rows and metrics,
    and every acknowledged summary key, are stored."""
    project, ada, key = lab
    for round_ in range(ROUNDS):
        run = make_run(project, ada, f"h{round_}")
        url = f"{server}/api/v1/teams/lab/projects/mnist/runs/{run.run_id}"
        calls = [
            ("POST", f"{url}/history", key, {"rows": [{"_step": i, f"m{i}": i}]})
            if i % 2
            else ("PATCH", url, key, {"summary": {f"s{i}": i}})
            for i in range(WRITERS)
        ]
        answers = all_at_once(calls)
        accepted = set()
        for i, answer in enumerate(answers):
            if i % 2:  # a batch may come after a higher step: refused, and then not stored
                assert answer.status_code in (200, 409), answer.text
                if answer.status_code == 200:
                    accepted.add(i)
                else:
                    assert answer.json()["error"]["code"] == "step_not_increasing"
            else:
                assert answer.status_code == 200, answer.text
        assert accepted
        stored = fresh(Run, run.id)
        steps = set(
            db.session.scalars(db.select(RunHistoryRow.step).where(RunHistoryRow.run_pk == run.id))
        )
        assert steps == accepted and stored.history_count == len(accepted)
        wanted = {f"m{i}": i for i in accepted} | {f"s{i}": i for i in range(0, WRITERS, 2)}
        assert stored.summary == wanted


def test_concurrent_run_creations_count_each_person_once_a_day(server, lab):
    """Two people create runs at the same moment (their first requests of the day, too): the
    daily rows count every run, and the monthly and day-total rollups the database keeps from
    them count each person one day and one active user, however the requests interleave."""
    project, ada, ada_key = lab
    bob = make_user("bob", password=None)
    add_member(project.team, bob)
    bob_key = bearer(make_key(bob))
    url = f"{server}/api/v1/teams/lab/projects/mnist/runs"
    calls = [("POST", url, ada_key if i % 2 else bob_key, {}) for i in range(WRITERS)]
    answers = all_at_once(calls)
    assert [a.status_code for a in answers] == [201] * WRITERS, [a.text for a in answers]
    db.session.rollback()
    created = {
        (row.user_id, row.team_id): (row.day, row.count)
        for row in db.session.scalars(
            db.select(ActivityDaily).where(ActivityDaily.kind == "run_created")
        )
    }
    (day,) = {day for day, _ in created.values()}
    team_id = project.team_id
    assert {key: count for key, (_, count) in created.items()} == {
        (ada.id, team_id): WRITERS // 2,
        (bob.id, team_id): WRITERS // 2,
        (0, team_id): WRITERS,
    }
    months = {
        (m.user_id, m.team_id): (m.days, m.count)
        for m in db.session.scalars(
            db.select(ActivityMonthly).where(ActivityMonthly.kind == "run_created")
        )
    }
    assert months == {
        (ada.id, team_id): (1, WRITERS // 2),
        (bob.id, team_id): (1, WRITERS // 2),
        (0, team_id): (1, WRITERS),
    }
    runs = db.session.get(ActivityDayTotal, ("run_created", day))
    assert (runs.users, runs.count) == (2, WRITERS)
    assert db.session.get(ActivityDayTotal, ("active", day)).users == 2


# --- last admins ------------------------------------------------------------------------------


@pytest.fixture
def two_admin_team():
    anna, ben = make_user("anna", password=None), make_user("ben", password=None)
    team = make_team("lab", admins=[anna, ben])
    operator = make_user("root", password=None, system_admin=True)
    return team, bearer(make_key(operator))


def admins_of(team_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(
        db.select(db.func.count(Membership.id)).where(
            Membership.team_id == team_id, Membership.role == "admin"
        )
    )


def restore_admins(team_id: int, usernames: list[str]) -> None:
    for username in usernames:
        user = db.session.scalar(db.select(User).where(User.username == username))
        membership = db.session.scalar(
            db.select(Membership).where(
                Membership.team_id == team_id, Membership.user_id == user.id
            )
        )
        if membership is None:
            db.session.add(Membership(team_id=team_id, user_id=user.id, role="admin"))
        else:
            membership.role = "admin"
    db.session.commit()


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_two_admins_cannot_both_lose_the_admin_role_at_once(server, two_admin_team, how):
    team, operator = two_admin_team
    members = f"{server}/api/v1/teams/lab/members"
    for _ in range(ROUNDS * 2):
        if how == "demote":
            calls = [
                ("PATCH", f"{members}/{u}", operator, {"role": "member"}) for u in ("anna", "ben")
            ]
        else:
            calls = [("DELETE", f"{members}/{u}", operator, None) for u in ("anna", "ben")]
        answers = all_at_once(calls)
        codes = sorted(a.status_code for a in answers)
        assert codes in ([200, 409], [204, 409]), [a.text for a in answers]
        refused = next(a for a in answers if a.status_code == 409)
        assert refused.json()["error"]["code"] == "last_team_admin"
        assert admins_of(team.id) == 1
        restore_admins(team.id, ["anna", "ben"])


@pytest.fixture
def two_system_admins():
    first = make_user("sys1", password=None, system_admin=True)
    second = make_user("sys2", password=None, system_admin=True)
    return {"sys1": bearer(make_key(first)), "sys2": bearer(make_key(second))}


def active_system_admins() -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            db.select(User.username).where(User.system_admin.is_(True), User.state == "active")
        )
    )


@pytest.mark.parametrize("change", [{"system_admin": False}, {"state": "deactivated"}])
def test_two_system_admins_cannot_both_step_down_at_once(server, two_system_admins, change):
    users = f"{server}/api/v1/users"
    keys = two_system_admins
    for _ in range(ROUNDS * 2):
        # Each demotes (or deactivates) the other, at the same moment.
        answers = all_at_once(
            [
                ("PATCH", f"{users}/sys2", keys["sys1"], change),
                ("PATCH", f"{users}/sys1", keys["sys2"], change),
            ]
        )
        assert sorted(a.status_code for a in answers) in ([200, 401], [200, 403], [200, 409]), [
            a.text for a in answers
        ]
        assert len(active_system_admins()) == 1
        for user in db.session.scalars(db.select(User).where(User.username.in_(["sys1", "sys2"]))):
            user.system_admin, user.state = True, "active"
        db.session.commit()
