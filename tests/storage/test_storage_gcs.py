"""The GCS provider against fake-gcs-server.

The emulator keeps bucket versioning but drops labels and CORS rules, and accepts any signature
and expired URLs. Labels and CORS are therefore checked in the requests the provider sends, and
URL expiry only by what the URL says.
"""

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from server.storage import (
    BucketNotEmpty,
    BucketNotFound,
    ObjectNotFound,
    StorageUnavailable,
    get_provider,
)

CONSOLE = "http://127.0.0.1:5000"


@pytest.fixture
def sent(gcs, monkeypatch):
    """The (method, url, json body) of every request the provider's client sends."""
    session = gcs.client._http
    calls = []
    real_request = session.request

    def recording_request(method, url, data=None, **kwargs):
        text = data.decode(errors="replace") if isinstance(data, bytes) else data
        body = json.loads(text) if isinstance(text, str) and text[:1] in ("{", "[") else None
        calls.append((method, url, body))
        return real_request(method, url, data=data, **kwargs)

    monkeypatch.setattr(session, "request", recording_request)
    return calls


def patches(calls):
    return [body for method, _, body in calls if method == "PATCH"]


def test_provisioning_creates_a_versioned_labelled_bucket(gcs, sent, bucket, team_slug):
    result = gcs.ensure_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE])

    assert result.status == "created"
    assert gcs.client.get_bucket(bucket).versioning_enabled is True
    (patch,) = patches(sent)  # one PATCH carries the whole wanted state
    assert patch["labels"] == {"outpost-team": team_slug, "managed-by": "outpost"}
    (rule,) = patch["cors"]
    assert rule["origin"] == [CONSOLE]
    assert set(rule["method"]) == {"GET", "PUT", "HEAD"}
    assert "Content-Type" in rule["responseHeader"]


def test_second_run_keeps_bucket_and_versioning(gcs, bucket, team_slug):
    gcs.ensure_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE])
    again = gcs.ensure_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE])
    # The emulator forgets labels and CORS, so only those may be reported again.
    assert "create bucket" not in again.changes
    assert "enable versioning" not in again.changes
    assert all(c.startswith(("set labels", "allow CORS")) for c in again.changes)
    assert gcs.client.get_bucket(bucket).versioning_enabled is True


def test_check_mode_changes_nothing(gcs, sent, bucket, team_slug):
    would = gcs.check_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE])
    assert would.status == "created" and would.dry_run
    assert gcs.client.lookup_bucket(bucket) is None

    gcs.client.create_bucket(bucket)
    would = gcs.check_team_bucket(bucket, team_slug=team_slug)
    assert would.status == "updated" and "enable versioning" in would.changes
    assert not gcs.client.get_bucket(bucket).versioning_enabled
    assert {method for method, _, _ in sent} <= {"GET", "POST"}  # POST: the create above


def test_misconfigured_bucket_gets_versioning(gcs, bucket, team_slug):
    gcs.client.create_bucket(bucket)
    result = gcs.ensure_team_bucket(bucket, team_slug=team_slug)
    assert result.status == "updated"
    assert "enable versioning" in result.changes
    assert gcs.client.get_bucket(bucket).versioning_enabled is True


def test_presigned_put_then_get(gcs, bucket, team_slug):
    gcs.ensure_team_bucket(bucket, team_slug=team_slug)
    body = b"checkpoint " * 1000
    upload = gcs.presign_put(bucket, "runs/1/ckpt.bin", expires_in=600, content_length=len(body))

    query = parse_qs(urlsplit(upload.url).query)
    assert "content-length" in query["X-Goog-SignedHeaders"][0]
    assert upload.headers == {"Content-Length": str(len(body))}
    assert requests.put(upload.url, data=body, headers=upload.headers, timeout=10).ok

    info = gcs.stat_object(bucket, "runs/1/ckpt.bin")
    assert info.size == len(body)
    url = gcs.presign_get(bucket, "runs/1/ckpt.bin", expires_in=1)
    assert parse_qs(urlsplit(url).query)["X-Goog-Expires"] == ["1"]
    assert requests.get(url, timeout=10).content == body


def test_objects_usage_and_purge(gcs, bucket, team_slug):
    gcs.ensure_team_bucket(bucket, team_slug=team_slug)
    gcs.put_bytes(bucket, "a.txt", b"12345")
    gcs.put_bytes(bucket, "a.txt", b"123")
    gcs.put_bytes(bucket, "dir/b.txt", b"1")
    assert gcs.get_bytes(bucket, "a.txt") == b"123"
    assert gcs.bucket_usage(bucket) == 4
    assert gcs.stat_object(bucket, "nope") is None
    with pytest.raises(ObjectNotFound):
        gcs.get_bytes(bucket, "nope")
    with pytest.raises(BucketNotEmpty):
        gcs.delete_bucket(bucket, purge=False)
    assert gcs.delete_bucket(bucket) is True
    assert gcs.delete_bucket(bucket) is False
    assert gcs.client.lookup_bucket(bucket) is None


def test_probe(gcs, bucket, team_slug):
    gcs.client.create_bucket(bucket)
    report = gcs.probe_access(bucket, prefix="team", cors_origins=[CONSOLE])
    assert report.checks == ["write", "read", "delete"]
    assert any("Versioning is off" in w for w in report.warnings)
    assert any("CORS" in w for w in report.warnings)
    assert list(gcs.client.list_blobs(bucket)) == []


def test_probe_of_a_missing_bucket(gcs, bucket):
    with pytest.raises(BucketNotFound, match=bucket):
        gcs.probe_access(bucket, prefix="p")


def test_unreachable_endpoint_fails_fast(gcs_server, closed_port_endpoint, bucket, team_slug):
    provider = get_provider(gcs_server.settings(endpoint=closed_port_endpoint))
    started = time.monotonic()
    for call in (
        provider.ping,
        lambda: provider.ensure_team_bucket(bucket, team_slug=team_slug),
        lambda: provider.probe_access(bucket),
    ):
        with pytest.raises(StorageUnavailable, match="could not be reached") as failed:
            call()
        assert "refused" not in failed.value.message.lower()  # no port-scanner answers
    assert time.monotonic() - started < 5


def test_emulator_host_variable_is_honoured(gcs_emulator_env, bucket, team_slug):
    from server.storage import StorageSettings

    provider = get_provider(StorageSettings(provider="gcs", project="outpost-test"))
    provider.ping()
    assert provider.ensure_team_bucket(bucket, team_slug=team_slug).status == "created"
