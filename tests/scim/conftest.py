"""A live Outpost for the SCIM tests: ``python -m server.cli serve`` on 127.0.0.1, one per
backend and session, with an enterprise license and a SCIM token made by the CLI."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from license import License
from license.issue import sign_license
from tests.fixtures.licenses import ALL_FEATURES
from tests.fixtures.ports import free_port
from tests.fixtures.serve import ServeProcess, outpost_env, run_cli

SECRET = "scim-live-secret-key-that-is-long-enough-0123"


@dataclass
class LiveServer:
    url: str
    token: str
    admin_key: str
    env: dict
    # Every HTTP session handed out, closed when the server stops (an unclosed socket collected
    # later would surface as a ResourceWarning in some other test).
    sessions: list = field(default_factory=list)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return run_cli(self.env, *args, stdin=stdin, timeout=60)

    def session(self, token: str | None = None) -> requests.Session:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token or self.token}"
        http.headers["Content-Type"] = "application/scim+json"
        self.sessions.append(http)
        return http


def _license(vendor_key) -> str:
    now = datetime.now(UTC)
    claims = License(
        license_id=f"lic_{uuid.uuid4().hex[:12]}",
        customer_name="SCIM tests",
        customer_email="it@acme.test",
        issued_at=now,
        not_before=now,
        expires_at=now + timedelta(days=30),
        seats=100_000,
        max_teams=None,
        features=ALL_FEATURES,
    )
    return sign_license(claims, vendor_key[0], kid="outpost-test-vendor")


def _database(database_url: str, request, tmp: Path) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp / 'outpost.db'}"
    from tests.fixtures.postgres import create_database

    return create_database(request.getfixturevalue("postgres_server"), "outpost_scim_live")


def _migrate(url: str, tmp: Path) -> None:
    from flask_migrate import upgrade

    from server import create_app
    from server.extensions import db

    app = create_app({"database_url": url, "secret_key": SECRET, "data_dir": str(tmp)})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(database_url, vendor_key, tmp_path_factory, request):
    tmp = tmp_path_factory.mktemp("scim-live")
    url = _database(database_url, request, tmp)
    _migrate(url, tmp)
    port = free_port()
    env = outpost_env(
        tmp / "data",
        OUTPOST_DATABASE_URL=url,
        OUTPOST_SECRET_KEY=SECRET,
        OUTPOST_URL=f"http://127.0.0.1:{port}",
        OUTPOST_LICENSE=_license(vendor_key),
        OUTPOST_LICENSE_EXTRA_PUBLIC_KEYS=vendor_key[1],
        OUTPOST_LOG_LEVEL="WARNING",
    )
    server = None
    with ServeProcess(env, tmp / "server.log", port=port) as process:
        try:
            server = LiveServer(url=process.base, token="", admin_key="", env=env)
            server.cli(
                *("users", "create", "root", "--email", "root@example.test"),
                *("--system-admin", "--password-stdin"),
                stdin="a long enough password\n",
            )
            server.admin_key = server.cli("api-keys", "create", "root", "--name", "scim").stdout
            server.admin_key = server.admin_key.strip().splitlines()[-1]
            token = server.cli("scim-tokens", "create", "idp").stdout
            server.token = token.strip().splitlines()[-1]
            yield server
        finally:
            for http in server.sessions if server else ():
                http.close()
