"""A rolling update, replayed: the previous release's code (``git archive`` of the commit the
rule in previous_release.py picks) migrates and seeds a database, this checkout upgrades it to
head, and the previous release, still serving, answers its API on the new schema: an API key
signs in, runs are listed and created, history is logged and read. This checkout's server then
reads what the old one wrote. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.deploy.ansible_run import REPO
from tests.deploy.previous_release import export, previous_release
from tests.deploy.test_rolling_update import BACKENDS, database
from tests.fixtures.ports import free_port

SECRET = "rolling-update-secret-key-0123456789-abcdefgh"


class Tree:
    """``python -m server.cli`` from one source tree, on one database and data directory."""

    def __init__(self, root: Path, url: str, data_dir: Path):
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
        self.env.update(
            OUTPOST_DATABASE_URL=url,
            OUTPOST_SECRET_KEY=SECRET,
            OUTPOST_DATA_DIR=str(data_dir),
            OUTPOST_LOG_FORMAT="text",
            OUTPOST_LOG_LEVEL="WARNING",
            PYTHONPATH=str(root),
        )

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", *args],
            cwd=self.root,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"outpost {' '.join(args)} ({self.root}):\n{done.stderr}"
        return done.stdout

    def serve(self, log: Path) -> Server:
        return Server(self, log)


class Server:
    def __init__(self, tree: Tree, log: Path):
        self.base = f"http://127.0.0.1:{free_port()}"
        self.log = log
        command = [sys.executable, "-m", "server.cli", "serve", "--no-migrate", "--workers", "1"]
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*command, "--bind", self.base.removeprefix("http://")],
                cwd=tree.root,
                env=tree.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.http = requests.Session()

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the server exited:\n{self.log.read_text()[-3000:]}"
            try:
                if requests.get(f"{self.base}/readyz", timeout=5).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.__exit__()
        raise AssertionError(f"the server was not ready in time:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc) -> None:
        self.http.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def call(self, method: str, path: str, key: str, status: int, **kwargs) -> dict:
        response = self.http.request(
            method,
            f"{self.base}/api/v1{path}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
            **kwargs,
        )
        assert response.status_code == status, f"{method} {path}: {response.text}"
        return response.json() if response.content else {}


RUNS = "/teams/lab/projects/mnist/runs"


def row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {
                name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar()
                for name in names
                if name != "alembic_version"
            }
    finally:
        engine.dispose()


def seed(server: Server, key: str) -> None:
    """What a team had done with the previous release before the update."""
    server.call("POST", "/teams", key, 201, json={"name": "lab"})
    server.call("POST", "/teams/lab/projects", key, 201, json={"name": "mnist"})
    server.call("POST", RUNS, key, 201, json={"run_id": "before", "name": "before"})
    rows = [{"_step": step, "loss": 1.0 / (step + 1)} for step in range(3)]
    server.call("POST", f"{RUNS}/before/history", key, 200, json={"rows": rows})


def smoke(server: Server, key: str) -> None:
    """The previous release's everyday API on the head schema."""
    assert server.call("GET", "/viewer", key, 200)["username"] == "ada"
    listed = server.call("GET", RUNS, key, 200)["items"]
    assert [run["run_id"] for run in listed] == ["before"]
    history = server.call("GET", f"{RUNS}/before/history", key, 200)["items"]
    assert [row["_step"] for row in history] == [0, 1, 2]
    server.call("POST", RUNS, key, 201, json={"run_id": "during", "name": "during"})
    server.call(
        "POST", f"{RUNS}/during/history", key, 200, json={"rows": [{"_step": 0, "acc": 0.5}]}
    )
    server.call("PATCH", f"{RUNS}/during", key, 200, json={"state": "finished"})
    listed = server.call("GET", RUNS, key, 200)["items"]
    assert sorted(run["run_id"] for run in listed) == ["before", "during"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_previous_release_serves_on_the_head_schema(backend, tmp_path, request):
    release = previous_release()
    url = database(backend, tmp_path, request, "outpost_rolling")
    data_dir = tmp_path / "data"
    old = Tree(export(release.commit, tmp_path / "previous"), url, data_dir)
    new = Tree(REPO, url, data_dir)
    log = tmp_path / "servers.log"

    old.cli("db", "upgrade")
    old.cli("users", "create", "ada", "--email", "ada@example.test", "--password-stdin",
            "--system-admin", stdin="a long enough password\n")  # fmt: skip
    key = old.cli("api-keys", "create", "ada", "--name", "rolling").strip().splitlines()[-1]
    with old.serve(log) as server:
        seed(server, key)

    before = row_counts(url)
    new.cli("db", "upgrade")
    assert new.cli("db", "current").strip().endswith("(head)")
    # Nothing the previous release wrote is lost (on SQLite, batch table copies used to
    # cascade-delete API keys and memberships when they dropped the original table).
    after = row_counts(url)
    assert {name: after[name] for name in before} == before
    with old.serve(log) as server:
        smoke(server, key)
    with new.serve(log) as server:
        history = server.call("GET", f"{RUNS}/during/history", key, 200)["items"]
        assert history == [{"_step": 0, "acc": 0.5}]
        assert server.call("GET", f"{RUNS}/during", key, 200)["state"] == "finished"
