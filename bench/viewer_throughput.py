"""Benchmark: authenticated ``GET /api/v1/viewer`` against a bare Flask endpoint.

Both run under gunicorn with the same workers on 127.0.0.1; the load comes from ``wrk`` when
installed (apt-get install wrk), else from a bounded Python client. Prints requests per second,
their ratio (target >= 0.6) and SQL queries per authenticated request (target <= 2).

    python bench/viewer_throughput.py [--workers 2] [--seconds 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.ports import free_port  # noqa: E402


def _wait(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def _gunicorn(target: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            target,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _load(url: str, key: str | None, seconds: int) -> float:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if shutil.which("wrk"):
        args = ["wrk", "-t2", "-c16", f"-d{seconds}s", url]
        for name, value in headers.items():
            args += ["-H", f"{name}: {value}"]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def worker(_: int) -> int:
        session, count, end = requests.Session(), 0, time.monotonic() + seconds
        while time.monotonic() < end:
            session.get(url, headers=headers, timeout=10).raise_for_status()
            count += 1
        return count

    with ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(worker, range(8)))
    return total / seconds


def _queries_per_request(env: dict, key: str) -> float:
    from sqlalchemy import event

    from server import create_app
    from server.extensions import db

    app = create_app(environ=env)
    counted = []
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    client.get("/api/v1/viewer", headers=headers)  # warm up
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: counted.append(1))
    for _ in range(20):
        assert client.get("/api/v1/viewer", headers=headers).status_code == 200
    return len(counted) / 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="outpost-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
    env.update(OUTPOST_DATA_DIR=data, OUTPOST_LOG_LEVEL="WARNING", OUTPOST_SECRET_KEY="b" * 40)
    if args.database_url:
        env["OUTPOST_DATABASE_URL"] = args.database_url
    cli = [sys.executable, "-m", "server.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*cli, "users", "create", "bench", "--email", "bench@example.test", "--password-stdin"],
        env=env,
        input="bench-password-123\n",
        text=True,
        check=True,
        capture_output=True,
    )
    key = (
        subprocess.run(
            [*cli, "api-keys", "create", "bench", "--name", "bench"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )

    results = {}
    for name, target, auth in (
        ("bare", "bench.bare_app:app", None),
        ("outpost", "server.wsgi:app", key),
    ):
        port = free_port()
        proc = _gunicorn(target, port, args.workers, env)
        try:
            url = f"http://127.0.0.1:{port}/api/v1/viewer"
            _wait(url)
            _load(url, auth, 2)  # warm up
            results[name] = _load(url, auth, args.seconds)
        finally:
            proc.terminate()
            proc.wait(10)
    queries = _queries_per_request(env, key)
    shutil.rmtree(data, ignore_errors=True)
    print(f"bare Flask:             {results['bare']:10.0f} req/s")
    print(f"outpost /api/v1/viewer: {results['outpost']:10.0f} req/s")
    print(f"ratio:                  {results['outpost'] / results['bare']:10.2f} (target >= 0.6)")
    print(f"SQL queries/request:    {queries:10.2f} (target <= 2)")


if __name__ == "__main__":
    main()
