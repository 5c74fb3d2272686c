"""server.yml, run for real against localhost with PostgreSQL as the database: the role migrates
the test run's real PostgreSQL (as the service user, with a database role of its own whose
password never shows), and the installed service, started as its unit says, answers /readyz
with the database reachable. A second run changes nothing."""

from __future__ import annotations

import json
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import requests
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import Migrate

from tests.deploy.ansible_run import REPO, assert_succeeded, run_playbook
from tests.deploy.service_host import ServiceHost
from tests.deploy.test_ansible_server import (
    ADMIN_PASSWORD,
    as_service_user,
    outpost,
    server_vars,
    unit,
)
from tests.fixtures.ports import free_port

DB_ROLE = "outpost_ansible"
DB_PASSWORD = "db-password/never@in:the-log"
UPGRADE = "Upgrade the database schema (outpost db upgrade)"


def migration_head() -> str:
    migrate = Migrate(Flask("heads"), directory=str(REPO / "server/migrations"))
    return ScriptDirectory(migrate.directory).get_current_head()


@pytest.fixture
def postgres_database(postgres_server):
    """A database owned by a login role of its own, as an operator would create it; yields
    the role's SQLAlchemy URL and an admin DSN for the database."""
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS outpost_ansible WITH (FORCE)")
        conn.execute(f"DROP ROLE IF EXISTS {DB_ROLE}")
        conn.execute(f"CREATE ROLE {DB_ROLE} LOGIN PASSWORD '{DB_PASSWORD}'")
        conn.execute(f"CREATE DATABASE outpost_ansible OWNER {DB_ROLE}")
    hostport = postgres_server.split("@", 1)[1].split("/", 1)[0]
    url = f"postgresql+psycopg://{DB_ROLE}:{quote(DB_PASSWORD, safe='')}@{hostport}/outpost_ansible"
    yield url, postgres_server.rsplit("/", 1)[0] + "/outpost_ansible"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS outpost_ansible WITH (FORCE)")
        conn.execute(f"DROP ROLE IF EXISTS {DB_ROLE}")


@contextmanager
def service(root: Path, host: ServiceHost, base: str):
    """The installed service as its unit starts it (user, environment file, working directory,
    command), without systemd; yields once it answers /healthz."""
    section = unit(root)["Service"]
    env = {"PATH": "/usr/bin:/bin"}
    for line in Path(section["EnvironmentFile"]).read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    log = root / "service.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["/usr/sbin/runuser", "-u", host.user, "--", *section["ExecStart"].split()],
            cwd=section["WorkingDirectory"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(f"{base}/healthz", proc, log)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the service exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(
        f"the service did not answer within {timeout} s:\n{log.read_text()[-3000:]}"
    )


def test_server_role_on_postgresql_migrates_and_the_service_is_ready(
    tmp_path, outpost_wheel, service_host, postgres_database
):
    url, admin_dsn = postgres_database
    root = service_host.prefix("postgres")
    bind = f"127.0.0.1:{free_port()}"
    variables = server_vars(
        root,
        outpost_wheel,
        service_host,
        outpost_server_database_url=url,
        outpost_server_bind=bind,
        outpost_server_workers=2,
    )
    first = assert_succeeded(run_playbook("server.yml", tmp_path, variables, groups=("outpost",)))
    assert UPGRADE in first.changed
    for secret in (DB_PASSWORD, quote(DB_PASSWORD, safe=""), ADMIN_PASSWORD):
        assert secret not in first.log and secret not in json.dumps(first.output)

    # The schema is in PostgreSQL, at head, and the tables belong to the application's role.
    with psycopg.connect(admin_dsn) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == (
            migration_head()
        )
        owners = conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    assert owners == [(DB_ROLE,)]
    assert not (root / "var/lib/outpost/outpost.db").exists()
    admin = json.loads(outpost(root, "users", "show", "admin", "--json").stdout)
    assert admin["system_admin"] is True

    base = f"http://{bind}"
    with service(root, service_host, base):
        ready = requests.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"] == "ok"
        # The admin the role created signs in against PostgreSQL through the service, with
        # an API key the operator makes as the service user.
        made = as_service_user(service_host, root, "api-keys", "create", "admin", "--name", "t")
        assert made.returncode == 0, made.stderr
        key = made.stdout.strip().splitlines()[-1]
        viewer = requests.get(
            f"{base}/api/v1/viewer", headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        assert viewer.status_code == 200, viewer.text
        assert viewer.json()["username"] == "admin"

    again = assert_succeeded(run_playbook("server.yml", tmp_path, variables, groups=("outpost",)))
    assert again.stats["changed"] == 0, again.changed
    assert again.result(UPGRADE)["status"] == "skipped"
