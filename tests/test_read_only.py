"""A read-only database or an unwritable storage directory: every write is a clear 503 naming
what to fix (never a 500 internal_error), and /readyz says so instead of "ok"."""

from __future__ import annotations

import os
import shutil
import uuid

import psycopg
import pytest
import requests
from flask_migrate import upgrade

from server import create_app
from server.extensions import db
from tests.conftest import SECRET
from tests.factories import bearer, make_key, make_team, make_user
from tests.live_server import live_server


def _app(url: str, tmp_path):
    app = create_app(
        {
            "database_url": url,
            "secret_key": SECRET,
            "data_dir": str(tmp_path / "data"),
            "log_format": "text",
            "log_level": "ERROR",
        }
    )
    app.config["TESTING"] = True
    return app


def _populate(url: str, tmp_path) -> str:
    """Migrate the database, add a team admin with a key and a team; return the key."""
    app = _app(url, tmp_path)
    with app.app_context():
        upgrade()
        admin = make_user("ada", password=None)
        key = make_key(admin)
        make_team("lab", admins=[admin])
        db.session.remove()
        db.engine.dispose()
    return key


@pytest.fixture(params=["sqlite", "postgresql"])
def read_only_app(request, tmp_path):
    """An app whose database refuses writes: SQLite opened read-only, or a PostgreSQL
    database whose transactions are read-only (as on a hot standby)."""
    if request.param == "sqlite":
        path = tmp_path / "outpost.db"
        key = _populate(f"sqlite:///{path}", tmp_path)
        app = _app(f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path)
    else:
        from tests.fixtures.postgres import create_database

        admin_dsn = request.getfixturevalue("postgres_server")
        name = f"outpost_ro_{uuid.uuid4().hex[:8]}"
        url = create_database(admin_dsn, name)
        key = _populate(url, tmp_path)
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        app = _app(url, tmp_path)
    yield app, key
    with app.app_context():
        db.engine.dispose()


def test_a_read_only_database_gives_503_on_writes_and_an_honest_readyz(read_only_app):
    app, key = read_only_app
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["database"] == "read_only"
    assert client.get("/healthz").status_code == 200

    created = client.post("/api/v1/teams/lab/projects", json={"name": "mnist"}, headers=bearer(key))
    assert created.status_code == 503, created.json
    assert created.json["error"]["code"] == "database_read_only"
    assert "read-only" in created.json["error"]["message"]


def test_a_read_only_sqlite_file_through_the_real_server(tmp_path):
    """Reproduced as reported: readyz said database ok, and writes were HTML/JSON 500s."""
    with live_server(tmp_path) as server:
        api = server.admin_session()
        assert api.post(f"{server.base}/api/v1/teams", json={"name": "lab"}).status_code == 201
    database = tmp_path / "data" / "outpost.db"
    read_only = f"sqlite:///file:{database}?mode=ro&uri=true"
    # /readyz answers 503 on a read-only database: wait for the process, then ask it
    with live_server(tmp_path, OUTPOST_DATABASE_URL=read_only, ready_path="/healthz") as server:
        ready = requests.get(f"{server.base}/readyz", timeout=10)
        created = api.post(f"{server.base}/api/v1/teams/lab/projects", json={"name": "p"})
    assert ready.json()["checks"]["database"] == "read_only"
    assert created.status_code == 503
    assert created.json()["error"]["code"] == "database_read_only"


@pytest.fixture
def unwritable_storage(make_app, tmp_path):
    """Filesystem storage whose directory the server cannot write: read-only permissions, or
    (as root, whom permissions do not stop) a file where the directory should be."""
    storage = tmp_path / "data" / "storage"
    storage.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.rmtree(storage)
        storage.write_text("not a directory")
    else:
        storage.chmod(0o555)
    app = make_app()
    with app.app_context():
        yield app
    if storage.is_dir():
        storage.chmod(0o755)


def test_unwritable_filesystem_storage_is_a_503_naming_the_directory(unwritable_storage):
    app = unwritable_storage
    key = make_key(make_user("root", system_admin=True, password=None))
    client = app.test_client()
    response = client.post("/api/v1/teams", json={"name": "lab"}, headers=bearer(key))
    assert response.status_code == 503, response.json
    error = response.json["error"]
    assert error["code"] == "storage_unavailable"
    assert "is not writable by the server" in error["message"]
    assert str(app.config["OUTPOST_DATA_DIR"]) in error["message"]
    assert client.get("/api/v1/teams/lab", headers=bearer(key)).status_code == 404

    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"] == {"database": "ok", "storage": "unavailable"}
