"""The ``outpost`` command: bootstrap without a browser, and ``serve`` on a fresh data dir."""

import json
import os
import re
import subprocess
import sys

import requests
from sqlalchemy import select

from server.cli import main
from server.extensions import db
from server.models import User
from tests.factories import bearer
from tests.fixtures.serve import ServeProcess, outpost_env


def test_users_create_with_password_on_stdin(runner):
    result = runner.invoke(
        main,
        [
            "users",
            "create",
            "ops",
            "--email",
            "ops@example.test",
            "--password-stdin",
            "--system-admin",
        ],
        input="a-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "ops"))
    assert user.system_admin and user.password_hash.startswith("$argon2")


def test_users_create_refuses_a_duplicate(runner):
    args = ["users", "create", "ops", "--email", "ops@example.test", "--password-stdin"]
    runner.invoke(main, args, input="a-long-enough-password\n")
    again = runner.invoke(main, args, input="a-long-enough-password\n")
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_api_key_printed_alone_on_the_last_line(runner, client):
    runner.invoke(
        main,
        ["users", "create", "bot", "--email", "bot@example.test", "--password-stdin"],
        input="a-long-enough-password\n",
    )
    result = runner.invoke(main, ["api-keys", "create", "bot", "--name", "ci"])
    assert result.exit_code == 0
    key = result.stdout.strip().splitlines()[-1]
    assert client.get("/api/v1/viewer", headers=bearer(key)).json["username"] == "bot"


def test_api_key_for_unknown_user_fails_clearly(runner):
    result = runner.invoke(main, ["api-keys", "create", "ghost", "--name", "x"])
    assert result.exit_code != 0 and "No user named 'ghost'" in result.output


def test_serve_starts_on_embedded_defaults_and_prints_setup_link(tmp_path):
    """...and logs JSON lines that never hold the setup token, an invitation or an API key."""
    (tmp_path / "home").write_text("")  # like a read-only root filesystem: no $HOME to write
    env = outpost_env(tmp_path / "data", HOME=str(tmp_path / "home"))
    with ServeProcess(env, tmp_path / "serve.log", args=["--workers", "1"]) as server:
        assert (tmp_path / "data" / "outpost.db").exists()
        assert requests.get(f"{server.base}/healthz", timeout=5).ok
        assert requests.get(f"{server.base}/readyz", timeout=5).ok
        link = re.search(r"http://\S+/setup/\S+", server.output()).group(0)
        assert requests.get(f"{link}?next=/invitations/secret-too", timeout=5).ok
        key = {"Authorization": "Bearer op_abcdefghijkl_not-a-real-secret"}
        viewer = requests.get(f"{server.base}/api/v1/viewer", headers=key, timeout=5)
        assert viewer.status_code == 401
        _file_round_trip(server.base, env)
    output = server.output().split(link, 1)[1]  # what follows the one line meant to show it
    token = link.rsplit("/", 1)[1]
    assert token not in output and "secret-too" not in output and "not-a-real-secret" not in output
    entries = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    paths = {entry.get("path") for entry in entries if entry["logger"] == "gunicorn.access"}
    assert {"/healthz", "/readyz", "/setup/[redacted]", "/api/v1/viewer"} <= paths
    assert any(entry["logger"] == "gunicorn.error" for entry in entries)
    assert [entry for entry in entries if entry["level"] == "ERROR"] == []


def _file_round_trip(base: str, env: dict) -> None:
    """Without OUTPOST_URL, the filesystem storage's pre-signed URLs point at the port the
    server listens on, so a script can upload and download a run file through them."""
    cli = [sys.executable, "-m", "server.cli"]
    subprocess.run(
        [
            *cli,
            "users",
            "create",
            "ada",
            "--email",
            "ada@example.test",
            "--password-stdin",
            "--system-admin",
        ],
        input="a long enough password\n",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    made = subprocess.run(
        [*cli, "api-keys", "create", "ada", "--name", "script"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    api = requests.Session()
    api.headers.update(bearer(made.stdout.strip().splitlines()[-1]))
    assert api.post(f"{base}/api/v1/teams", json={"name": "lab"}, timeout=10).status_code == 201
    projects = f"{base}/api/v1/teams/lab/projects"
    assert api.post(projects, json={"name": "mnist"}, timeout=5).status_code == 201
    run = api.post(f"{projects}/mnist/runs", json={"name": "r1"}, timeout=5).json()
    files = f"{projects}/mnist/runs/{run['run_id']}/files"
    upload = api.post(files, json={"path": "a.txt", "size": 5}, timeout=5).json()["upload"]
    assert upload["url"].startswith(f"{base}/")
    put = requests.put(upload["url"], data=b"hello", headers=upload["headers"], timeout=5)
    assert put.status_code in (200, 201, 204)
    download = api.get(files, timeout=5).json()["items"][0]["download"]
    assert requests.get(download["url"], timeout=5).content == b"hello"


def test_malformed_setting_stops_the_cli_with_its_name(tmp_path):
    env = {**os.environ, "OUTPOST_SESSION_HOURS": "forever", "OUTPOST_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "users", "create", "x", "--email", "x@y.z"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "OUTPOST_SESSION_HOURS" in result.stderr


def test_users_create_works_on_a_fresh_embedded_data_dir(tmp_path):
    """The README's bootstrap without a browser, before the server ever started."""
    env = {**os.environ, "OUTPOST_DATA_DIR": str(tmp_path / "data")}
    env.pop("OUTPOST_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "users", "create", "admin", "--email", "a@b.io"]
        + ["--password-stdin", "--system-admin"],
        env=env,
        input="a-long-enough-password\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Created system admin admin" in result.stdout
    assert "Traceback" not in result.stderr
