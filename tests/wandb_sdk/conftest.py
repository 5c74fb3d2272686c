"""The real W&B SDK against a live Outpost.

One Outpost (gunicorn, SQLite, filesystem storage, 127.0.0.1) serves every scenario of the
session; one more (PostgreSQL, S3 storage on moto) serves a single end-to-end scenario. Each
SDK version runs from its own virtualenv (its dependencies must not mix with the server's),
made once and cached under ``~/.cache/outpost-tests/wandb-<version>``; if it cannot be made the
tests fail. Scenarios run small training scripts with that venv's python, with HOME, WANDB_DIR,
WANDB_API_KEY and WANDB_BASE_URL set per test, then read the results back through Outpost's
REST API.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.fixtures.ports import free_port
from tests.fixtures.serve import ROOT as REPO
from tests.fixtures.serve import ServeProcess, ServerDidNotStart, outpost_env

SDK_VERSIONS = ["0.31.0", "0.19.11"]  # the newest, and one more than a year older
CACHE = Path(os.environ.get("OUTPOST_TEST_CACHE", Path.home() / ".cache" / "outpost-tests"))
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def _make_venv(version: str) -> Path:
    """A virtualenv with ``wandb==version``, built in a scratch directory and renamed into
    place, so an interrupted build is never mistaken for a finished one."""
    target = CACHE / f"wandb-{version}"
    python = target / "bin" / "python"
    if (target / ".complete").exists():
        return python
    CACHE.mkdir(parents=True, exist_ok=True)
    scratch = CACHE / f".wandb-{version}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(scratch)], check=True, timeout=300)
    subprocess.run(
        [str(scratch / "bin" / "python"), "-m", "pip", "install", "-q", f"wandb=={version}"],
        check=True,
        timeout=900,
    )
    (scratch / ".complete").write_text(version)
    shutil.rmtree(target, ignore_errors=True)
    scratch.rename(target)
    return python


@pytest.fixture(scope="session", params=SDK_VERSIONS, ids=[f"wandb-{v}" for v in SDK_VERSIONS])
def sdk_python(request) -> Path:
    try:
        return _make_venv(request.param)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.fail(f"could not create a virtualenv with wandb=={request.param}: {exc}")


@dataclass
class Outpost:
    url: str
    keys: dict[str, str]
    env: dict[str, str]

    def get(self, path: str, key: str, **params):
        response = requests.get(
            f"{self.url}/api/v1{path}",
            headers={"Authorization": f"Bearer {self.keys[key]}"},
            params=params,
            timeout=30,
        )
        return response

    def ok(self, path: str, key: str = "ada", **params):
        response = self.get(path, key, **params)
        assert response.status_code == 200, response.text
        return response.json()


def _start_outpost(root: Path, **settings: str):
    """Start Outpost under gunicorn with ``OUTPOST_*`` settings, seed it; yield an Outpost."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = outpost_env(
        root / "data",
        drop=("OUTPOST_", "WANDB_"),
        OUTPOST_SECRET_KEY=SECRET,
        OUTPOST_URL=url,
        OUTPOST_LOG_FORMAT="text",
        OUTPOST_LOG_LEVEL="WARNING",
        HOME=str(root),
        **{f"OUTPOST_{name.upper()}": value for name, value in settings.items()},
    )
    if "database_url" in settings:  # serve upgrades only the embedded SQLite database
        _run_module(["server.cli", "db", "upgrade"], env)
    try:
        server = ServeProcess(env, root / "server.log", args=["--workers", "2"], port=port)
    except ServerDidNotStart as exc:
        pytest.fail(f"Outpost did not start: {exc}")
    with server:
        seeded = _run_module(["tests.wandb_sdk.world"], env)
        yield Outpost(url=url, keys=json.loads(seeded.strip().splitlines()[-1]), env=env)


def _run_module(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="session")
def outpost(tmp_path_factory):
    """The Outpost every scenario uses: SQLite and filesystem storage."""
    yield from _start_outpost(tmp_path_factory.mktemp("outpost-wandb"))


@pytest.fixture(scope="session")
def outpost_pg_s3(tmp_path_factory, postgres_server, s3_server):
    """A second Outpost for one end-to-end scenario: PostgreSQL and S3 storage (moto)."""
    from tests.fixtures.postgres import create_database

    yield from _start_outpost(
        tmp_path_factory.mktemp("outpost-wandb-pg"),
        database_url=create_database(postgres_server, "outpost_wandb_sdk"),
        storage_provider="s3",
        storage_endpoint=s3_server.endpoint,
        storage_access_key=s3_server.access_key,
        storage_secret_key=s3_server.secret_key,
        storage_bucket_prefix="wandb-sdk",
    )


@dataclass
class SdkResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> dict:
        """The last line the script printed, as JSON (scripts report what they saw)."""
        return json.loads(self.stdout.strip().splitlines()[-1])


@pytest.fixture
def run_sdk(sdk_python, outpost, tmp_path):
    """Run a script with the SDK: ``run_sdk(code, key="bob", **extra_env)``."""
    return _runner(sdk_python, outpost, tmp_path)


@pytest.fixture
def run_newest_sdk(outpost, tmp_path):
    """Like ``run_sdk``, with the newest tested SDK only (for scenarios run once)."""
    try:
        python = _make_venv(SDK_VERSIONS[0])
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.fail(f"could not create a virtualenv with wandb=={SDK_VERSIONS[0]}: {exc}")
    return _runner(python, outpost, tmp_path)


def _runner(sdk_python: Path, outpost: Outpost, tmp_path: Path):
    counter = iter(range(1000))

    def run(
        code: str, key: str = "bob", timeout: int = 180, server=None, **extra_env: str
    ) -> SdkResult:
        server = server or outpost
        where = tmp_path / f"script{next(counter)}"
        where.mkdir()
        script = where / "train.py"
        script.write_text(textwrap.dedent(code))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTPOST_", "WANDB_"))}
        env.pop("PYTHONPATH", None)
        env.update(
            HOME=str(where),
            WANDB_DIR=str(where),
            WANDB_API_KEY=server.keys.get(key, key),
            WANDB_BASE_URL=server.url,
            WANDB_CONSOLE="wrap",
            **extra_env,
        )
        done = subprocess.run(
            [str(sdk_python), str(script)],
            cwd=where,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return SdkResult(done.returncode, done.stdout, done.stderr)

    return run
