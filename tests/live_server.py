"""``outpost serve`` from this checkout as a real gunicorn server on 127.0.0.1, for tests that
must see what a client sees (worker timeouts, several worker processes, HTML 500 pages)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.factories import bearer
from tests.fixtures.ports import free_port

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "server.cli"]


class LiveServer:
    def __init__(self, base: str, env: dict[str, str], proc: subprocess.Popen, log: Path):
        self.base, self.env, self.proc, self.log = base, env, proc, log

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run an ``outpost`` command against the same data; return its standard output."""
        result = subprocess.run(
            [*CLI, *args],
            cwd=REPO,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def admin_session(self, username: str = "ada") -> requests.Session:
        """A requests session authenticated with a new system admin's API key."""
        self.cli(
            "users",
            "create",
            username,
            "--email",
            f"{username}@example.test",
            "--password-stdin",
            "--system-admin",
            stdin="a long enough password\n",
        )
        key = self.cli("api-keys", "create", username, "--name", "tests").strip().splitlines()[-1]
        session = requests.Session()
        session.headers.update(bearer(key))
        return session

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def outpost_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The test process's environment without OUTPOST_* variables, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
    env.update({"OUTPOST_DATA_DIR": str(data_dir), "HOME": str(data_dir.parent)})
    env.update({"PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)})
    env.update(settings)
    return env


@contextmanager
def live_server(
    tmp_path: Path, *, workers: int = 2, timeout: int = 30, extra_args=(), **settings: str
):
    """Start ``outpost serve`` with ``settings`` (``OUTPOST_*`` names); stop it afterwards."""
    port = free_port()
    env = outpost_env(tmp_path / "data", **settings)
    log = tmp_path / "server.log"
    args = [*CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    args += list(extra_args)
    env["GUNICORN_CMD_ARGS"] = f"--timeout {timeout}"
    with open(log, "wb") as sink:
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=sink, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", env, proc, log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_until_up(server: LiveServer, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(f"{server.base}/healthz", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        assert server.proc.poll() is None, server.output()
        assert time.monotonic() < deadline, f"server did not start:\n{server.output()}"
        time.sleep(0.2)


@contextmanager
def tarpit():
    """A TCP server on 127.0.0.1 that accepts every connection and never answers.

    Yields ``(url, accepted)``; ``accepted`` counts the connections made to it.
    """
    import socket
    import threading

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            held.append(conn)  # kept open, never read from or written to

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", held
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        sock.close()
