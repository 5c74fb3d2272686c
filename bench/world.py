"""Shared set-up for the benches: a fresh data directory, a migrated database, a user and an
API key made with the server's own CLI (the code under test, from this checkout)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "server.cli"]


def bench_env(database_url: str = "") -> tuple[dict, str]:
    """The environment for a bench server and its data directory (remove it afterwards)."""
    data = tempfile.mkdtemp(prefix="outpost-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
    env.update(OUTPOST_DATA_DIR=data, OUTPOST_LOG_LEVEL="WARNING", OUTPOST_SECRET_KEY="b" * 40)
    env["PYTHONPATH"] = str(ROOT)
    if database_url:
        env["OUTPOST_DATABASE_URL"] = database_url
    subprocess.run([*CLI, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    return env, data


def create_user_with_key(env: dict, username: str = "bench") -> str:
    """A user and a new API key for them; returns the key."""
    subprocess.run(
        [*CLI, "users", "create", username, "--email", f"{username}@example.test"]
        + ["--password-stdin"],
        env=env,
        cwd=ROOT,
        input="bench-password-123\n",
        text=True,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [*CLI, "api-keys", "create", username, "--name", "bench"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]
