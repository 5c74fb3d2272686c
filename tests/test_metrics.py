"""/metrics under a real `outpost serve` with two gunicorn workers: a burst of requests is
counted once each, whichever worker answered it and whichever worker answers the scrape."""

from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.serve import ServeProcess, outpost_env

TOKEN = "metrics-token-for-the-test-0123456789"
BURST = 60


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("metrics")
    env = outpost_env(
        data / "data", OUTPOST_METRICS_TOKEN=TOKEN, OUTPOST_LOG_LEVEL="WARNING", HOME=str(data)
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with ServeProcess(env, data / "serve.log", args=["--workers", "2"]) as served:
        yield served.base


def scrape(base: str) -> dict:
    response = requests.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return samples(response.text)


def counted(found: dict, route: str, status: str) -> float:
    key = ("outpost_http_requests_total", (("method", "GET"), ("route", route), ("status", status)))
    return found.get(key, 0.0)


def test_a_burst_on_two_workers_is_counted_exactly(server):
    before = scrape(server)
    for _ in range(BURST):
        # A new connection each time, so both workers take requests.
        assert requests.get(f"{server}/healthz", timeout=5, headers={"Connection": "close"}).ok
    for n in range(BURST // 3):
        missing = requests.get(
            f"{server}/no/such/page-{n}", timeout=5, headers={"Connection": "close"}
        )
        assert missing.status_code == 404
    after = scrape(server)
    assert counted(after, "/healthz", "200") - counted(before, "/healthz", "200") == BURST
    # Unknown paths share one label: raw paths never become label values.
    assert (
        counted(after, "<unmatched>", "404") - counted(before, "<unmatched>", "404") == BURST // 3
    )
    assert not any("page-" in str(labels) for _, labels in after)
    hist = (
        "outpost_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/healthz")),
    )
    assert after[hist] - before.get(hist, 0.0) == BURST
    assert after[("outpost_seats_used", ())] == 0
    assert after[("outpost_license_state", (("state", "unlicensed"),))] == 1
    pool = ("outpost_db_pool_connections", (("state", "checked_out"),))
    assert pool in after


def test_metrics_need_the_bearer_token(server):
    anonymous = requests.get(f"{server}/metrics", timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthenticated"
    wrong = requests.get(f"{server}/metrics", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 401


def test_metrics_are_off_without_a_token(make_app):
    app = make_app()
    response = app.test_client().get("/metrics")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_storage_calls_are_measured_at_the_factory(make_app, s3_server):
    """Latency and errors of every provider call, wrapped once in the factory (real S3 API)."""
    from server.storage import StorageSettings
    from server.storage.errors import StorageError
    from server.storage.factory import get_provider
    from server.storage.s3 import S3Provider

    app = make_app(metrics_token=TOKEN)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = samples(client.get("/metrics", headers=auth).get_data(as_text=True))
    provider = get_provider(
        StorageSettings(
            provider="s3",
            endpoint=s3_server.endpoint,
            region=s3_server.region,
            access_key=s3_server.access_key,
            secret_key=s3_server.secret_key,
        )
    )
    assert isinstance(provider, S3Provider)
    provider.ping()
    with pytest.raises(StorageError):
        provider.get_bytes("outpost-metrics-no-such-bucket", "missing")
    after = samples(client.get("/metrics", headers=auth).get_data(as_text=True))

    def delta(name: str, operation: str) -> float:
        key = (name, (("operation", operation), ("provider", "s3")))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("outpost_storage_call_duration_seconds_count", "ping") == 1
    assert delta("outpost_storage_call_errors_total", "ping") == 0
    assert delta("outpost_storage_call_duration_seconds_count", "get_bytes") == 1
    assert delta("outpost_storage_call_errors_total", "get_bytes") == 1
