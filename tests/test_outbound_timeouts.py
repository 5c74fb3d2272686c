"""A storage endpoint that accepts connections and never answers must not stall the server:
/readyz answers within its own deadline, /healthz never touches storage, and creating a team
fails with a clear JSON error instead of a killed worker."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from server.config import ConfigError, load_settings
from server.services import licensing, system_settings
from tests.factories import bearer, make_key, make_user
from tests.live_server import live_server, tarpit


@pytest.fixture(scope="module")
def hanging_s3(tmp_path_factory):
    """A real server whose instance storage is an S3 endpoint that never answers."""
    with (
        tarpit() as (endpoint, held),
        live_server(
            tmp_path_factory.mktemp("hanging"),
            OUTPOST_STORAGE_PROVIDER="s3",
            OUTPOST_STORAGE_ENDPOINT=endpoint,
            OUTPOST_STORAGE_ACCESS_KEY="key",
            OUTPOST_STORAGE_SECRET_KEY="secret",
            OUTPOST_STORAGE_READ_TIMEOUT="2",
            ready_path="/healthz",  # /readyz is what the tests probe: storage never answers
        ) as server,
    ):
        yield server, held


def test_readyz_reports_the_hanging_storage_as_timeout(hanging_s3):
    server, held = hanging_s3
    with ThreadPoolExecutor(3) as pool:
        probes = [pool.submit(requests.get, f"{server.base}/readyz", timeout=20) for _ in range(2)]
        health = pool.submit(requests.get, f"{server.base}/healthz", timeout=20)
        answers = [probe.result() for probe in probes]
    assert health.result().json() == {"status": "ok"}
    for answer in answers:
        assert answer.status_code == 503
        assert answer.json() == {
            "status": "unavailable",
            "checks": {"database": "ok", "storage": "timeout"},
        }
    assert held, "the storage endpoint was asked"


def test_team_creation_against_a_hanging_storage_is_a_json_504(hanging_s3):
    server, _ = hanging_s3
    api = server.admin_session()
    response = api.post(f"{server.base}/api/v1/teams", json={"name": "lab"}, timeout=60)
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "storage_timeout"
    assert "did not answer within 2 s" in error["message"] and "'lab'" in error["message"]
    assert api.get(f"{server.base}/api/v1/teams/lab", timeout=10).status_code == 404
    assert "WORKER TIMEOUT" not in server.output()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OUTPOST_STORAGE_READ_TIMEOUT", "soon"),
        ("OUTPOST_STORAGE_CONNECT_TIMEOUT", "0"),
        ("OUTPOST_READINESS_TIMEOUT", "-1"),
    ],
)
def test_timeouts_must_be_positive_numbers(variable, value):
    with pytest.raises(ConfigError, match=variable):
        load_settings(environ={variable: value})


def test_timeouts_reach_the_storage_clients(make_app):
    app = make_app(storage_connect_timeout=1.5, storage_read_timeout=4.0, storage_max_attempts=3)
    with app.app_context():
        from server.services.storage_settings import instance_storage_settings

        settings = instance_storage_settings()
    assert (settings.connect_timeout, settings.read_timeout, settings.max_attempts) == (
        1.5,
        4.0,
        3,
    )


def test_a_team_bucket_at_a_hanging_endpoint_is_a_504(make_app, issue_license):
    app = make_app(storage_read_timeout=1.0, storage_max_attempts=1)
    with app.app_context(), tarpit() as (endpoint, held):
        licensing.install_license(issue_license())
        key = make_key(make_user("root", system_admin=True, password=None))
        system_settings.update_settings({"byob_endpoint_allowlist": [endpoint.split("//")[1]]})
        spec = {
            "provider": "s3",
            "bucket": "customer-bucket",
            "endpoint": endpoint,
            "credentials": {"access_key": "k", "secret_key": "s"},
        }
        response = app.test_client().post(
            "/api/v1/teams", json={"name": "byob", "storage": spec}, headers=bearer(key)
        )
        assert held, "the endpoint was asked"
    assert response.status_code == 504
    assert response.json["error"]["code"] == "storage_timeout"
    assert "did not answer within 1 s" in response.json["error"]["message"]


def test_an_smtp_server_that_never_answers_fails_within_the_outbound_timeout(make_app):
    from server.errors import ServiceUnavailable
    from server.services import mail

    app = make_app(outbound_timeout=1.0)
    with app.app_context(), tarpit() as (endpoint, held):
        port = int(endpoint.rsplit(":", 1)[1])
        system_settings.update_settings(
            {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none"}
        )
        with pytest.raises(ServiceUnavailable) as failed:
            mail.send_mail("ada@example.test", "Hello", "Hi")
        assert held, "the SMTP server was asked"
    assert failed.value.code == "smtp_failed"
    assert "no answer within 1 seconds" in failed.value.details["reason"]


@pytest.mark.parametrize("provider", ["s3", "gcs"])
def test_each_provider_gives_up_on_a_silent_endpoint(provider):
    from server.storage import StorageSettings, StorageTimeout, get_provider

    with tarpit() as (endpoint, held):
        settings = StorageSettings(
            provider=provider,
            endpoint=endpoint,
            access_key="key",
            secret_key="secret",
            anonymous=provider == "gcs",
            project="outpost-test",
            read_timeout=1.0,
            max_attempts=1,
        )
        with pytest.raises(StorageTimeout) as failed:
            get_provider(settings).ping()
        assert held, "the endpoint was asked"
    assert failed.value.code == "storage_timeout"
    assert f"{endpoint} did not answer within 1 s" in failed.value.message
