"""The sign-in rate limit counts per client across workers and behind proxies (issue 12 #16).

- A real ``outpost serve`` with 2 gunicorn workers and a real Redis: 20 concurrent wrong
  passwords against a limit of 5 per minute get exactly 5 answers and 15 refusals (per-worker
  memory counters let up to twice the limit through).
- ``OUTPOST_TRUSTED_PROXIES``: with 0 hops a client's X-Forwarded-For is ignored (it cannot
  reset its own counter or forge its audit address); with 1 hop each forwarded client has its
  own counter and its address is in the audit log.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent
from tests.conftest import SECRET
from tests.factories import csrf_token, make_user
from tests.fixtures.ports import free_port
from tests.fixtures.serve import ServeProcess, ServerDidNotStart, outpost_env

WRONG = "not the password!"


def _attempt(base: str, login: str = "ada", forwarded_for: str | None = None) -> int:
    """One sign-in with a wrong password from a fresh client; returns the status."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    with requests.Session() as browser:
        page = browser.get(f"{base}/login", headers=headers, timeout=10)
        response = browser.post(
            f"{base}/login",
            data={"login": login, "password": WRONG, "csrf_token": csrf_token(page.text)},
            headers=headers,
            allow_redirects=False,
            timeout=10,
        )
    return response.status_code


@pytest.fixture
def serve(app, tmp_path):
    """Start ``outpost serve`` (this tree's code) on the test database; yields its base URL."""
    servers: list[ServeProcess] = []

    def start(workers: int, **settings: str) -> str:
        env = outpost_env(
            tmp_path / "serve-data",
            HOME=str(tmp_path),
            OUTPOST_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            OUTPOST_SECRET_KEY=SECRET,
            OUTPOST_LOG_FORMAT="text",
            OUTPOST_LOG_LEVEL="WARNING",
            **{f"OUTPOST_{name.upper()}": value for name, value in settings.items()},
        )
        args = ["--no-migrate", "--workers", str(workers)]
        try:
            server = ServeProcess(env, tmp_path / f"serve-{len(servers)}.log", args=args)
        except ServerDidNotStart as exc:
            pytest.fail(str(exc), pytrace=False)
        servers.append(server)
        return server.base

    yield start
    for server in servers:
        server.stop()


def test_the_limit_holds_across_two_gunicorn_workers(serve, redis_server):
    make_user("ada")
    base = serve(2, ratelimit_storage_uri=redis_server, login_rate_limit="5 per minute")
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: _attempt(base), range(20)))
    assert sorted(statuses) == [401] * 5 + [429] * 15


def test_an_unreachable_shared_store_refuses_sign_in_clearly(make_app):
    app = make_app(ratelimit_storage_uri=f"redis://127.0.0.1:{free_port()}/0")
    client = app.test_client()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"login": "ada", "password": WRONG, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 503
    assert "rate-limit store" in response.get_data(as_text=True)


def _failed_sign_in_addresses() -> list[str]:
    db.session.expire_all()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user:login").order_by(AuditEvent.id)
    )
    return [event.actor_ip for event in events]


@pytest.fixture
def proxied_app(make_app, redis_server, request):
    """An app trusting ``request.param`` proxy hops, served over real HTTP."""
    return make_app(
        trusted_proxies=request.param,
        ratelimit_storage_uri=redis_server,
        login_rate_limit="3 per minute",
    )


@pytest.fixture
def proxied_server(proxied_app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, proxied_app, threaded=True)
    import threading

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with proxied_app.app_context():
        make_user("ada")
        yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.mark.parametrize("proxied_app", [0], indirect=True)
def test_a_spoofed_forwarded_for_is_ignored_without_trusted_proxies(proxied_server):
    statuses = [_attempt(proxied_server, forwarded_for=f"203.0.113.{n}") for n in range(1, 5)]
    assert statuses == [401, 401, 401, 429]  # one client, whatever it claims
    assert set(_failed_sign_in_addresses()) == {"127.0.0.1"}


@pytest.mark.parametrize("proxied_app", [1], indirect=True)
def test_the_forwarded_client_is_honoured_behind_one_proxy(proxied_server):
    first = [_attempt(proxied_server, forwarded_for="203.0.113.7") for _ in range(4)]
    assert first == [401, 401, 401, 429]
    # Another client behind the same proxy has its own counter...
    assert _attempt(proxied_server, forwarded_for="203.0.113.8") == 401
    # ...and with one trusted hop only the address the proxy appended counts, not what the
    # client put before it.
    assert _attempt(proxied_server, forwarded_for="198.51.100.1, 203.0.113.7") == 429
    addresses = _failed_sign_in_addresses()
    assert set(addresses) == {"203.0.113.7", "203.0.113.8"}
