"""The embedded SQLite database: WAL, a busy timeout and durable commits on every connection,
so that concurrent writers wait for each other instead of failing with "database is locked"."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from server import create_app
from server.config import ConfigError, load_settings
from server.extensions import db
from tests.conftest import SECRET
from tests.live_server import live_server


def sqlite_app(tmp_path, **settings):
    return create_app(
        {
            "database_url": f"sqlite:///{tmp_path / 'outpost.db'}",
            "secret_key": SECRET,
            "data_dir": str(tmp_path / "data"),
            "log_format": "text",
            **settings,
        }
    )


def pragmas(connection) -> tuple:
    return tuple(
        connection.execute(text(f"PRAGMA {name}")).scalar()
        for name in ("journal_mode", "busy_timeout", "synchronous")
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, ("wal", 10000, 2)),  # synchronous 2 = FULL
        ({"sqlite_busy_timeout_ms": 2500, "sqlite_synchronous": "normal"}, ("wal", 2500, 1)),
    ],
)
def test_every_pooled_connection_gets_the_pragmas(tmp_path, settings, expected):
    app = sqlite_app(tmp_path, **settings)
    with app.app_context():
        upgrade()
        connections = [db.engine.connect() for _ in range(3)]  # three distinct DB-API connections
        try:
            assert [pragmas(connection) for connection in connections] == [expected] * 3
        finally:
            for connection in connections:
                connection.close()
        db.engine.dispose()


def test_an_unknown_synchronous_mode_is_refused_by_name():
    with pytest.raises(ConfigError, match="OUTPOST_SQLITE_SYNCHRONOUS"):
        load_settings(environ={"OUTPOST_SQLITE_SYNCHRONOUS": "off"})


def test_concurrent_run_creation_on_several_workers_never_hits_a_locked_database(tmp_path):
    """Four gunicorn worker processes, eight client threads, 48 runs and history appends."""
    with live_server(tmp_path, workers=4) as server:
        api = server.admin_session()
        assert api.post(f"{server.base}/api/v1/teams", json={"name": "lab"}).status_code == 201
        projects = f"{server.base}/api/v1/teams/lab/projects"
        assert api.post(projects, json={"name": "mnist"}).status_code == 201
        runs = f"{projects}/mnist/runs"

        def log_run(number: int) -> tuple[int, int]:
            created = api.post(runs, json={"name": f"r{number}", "config": {"n": number}})
            if created.status_code != 201:
                return created.status_code, 0
            rows = [{"_step": step, "loss": 1 / (step + 1)} for step in range(5)]
            history = f"{runs}/{created.json()['run_id']}/history"
            return created.status_code, api.post(history, json={"rows": rows}).status_code

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(log_run, range(48)))
        listed = api.get(runs, params={"limit": 200}).json()["items"]
    assert answers == [(201, 200)] * 48
    assert len(listed) == 48
    assert "database is locked" not in server.output()


def test_a_writer_held_up_past_the_busy_timeout_gets_a_503(tmp_path):
    """Another process holding the write lock longer than the busy timeout: a clear, retryable
    503 ``database_busy`` rather than a 500, while /readyz still calls the database ok."""
    import sqlite3

    from tests.factories import bearer, make_key, make_team, make_user

    app = sqlite_app(tmp_path, sqlite_busy_timeout_ms=200)
    with app.app_context():
        upgrade()
        admin = make_user("ada", password=None)
        key = make_key(admin)
        make_team("lab", admins=[admin])
        db.session.remove()
    blocker = sqlite3.connect(tmp_path / "outpost.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # holds the write lock, as a long write elsewhere would
    try:
        with app.app_context():
            ready = app.test_client().get("/readyz")
            response = app.test_client().post(
                "/api/v1/teams/lab/projects", json={"name": "mnist"}, headers=bearer(key)
            )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    # a lock held by another writer proves the file is writable: readiness does not wait on it
    assert ready.json["checks"]["database"] == "ok"
    assert response.status_code == 503, response.json
    assert response.json["error"]["code"] == "database_busy"
    with app.app_context():
        retried = app.test_client().post(
            "/api/v1/teams/lab/projects", json={"name": "mnist"}, headers=bearer(key)
        )
        db.engine.dispose()
    assert retried.status_code == 201
