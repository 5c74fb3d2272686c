"""``outpost serve`` from this checkout as a real gunicorn server on 127.0.0.1, for tests that
must see what a client sees (worker timeouts, several worker processes, HTML 500 pages)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import requests

from tests.factories import bearer
from tests.fixtures.serve import ServeProcess
from tests.fixtures.serve import outpost_env as _env


class LiveServer(ServeProcess):
    @property
    def log(self) -> Path:
        return self.log_path

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run an ``outpost`` command against the same data; return its standard output."""
        return super().cli(*args, stdin=stdin, timeout=60).stdout

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


def outpost_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The test process's environment without OUTPOST_* variables, plus ``settings``."""
    return _env(data_dir, HOME=str(data_dir.parent), **settings)


@contextmanager
def live_server(
    tmp_path: Path,
    *,
    workers: int = 2,
    timeout: int = 30,
    extra_args=(),
    ready_path: str = "/readyz",
    **settings: str,
):
    """Start ``outpost serve`` with ``settings`` (``OUTPOST_*`` names); stop it afterwards.
    ``ready_path="/healthz"`` for a server whose dependencies are meant not to answer."""
    env = outpost_env(tmp_path / "data", GUNICORN_CMD_ARGS=f"--timeout {timeout}", **settings)
    args = ["--workers", str(workers), *extra_args]
    with LiveServer(env, tmp_path / "server.log", args=args, ready_path=ready_path) as server:
        yield server


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
