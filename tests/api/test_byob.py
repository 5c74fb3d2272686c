"""Secure storage connector through the API: a team on its own S3 or GCS bucket is created only
after the server proved it can write, read and delete there; every failure is a clear error
and leaves no team; refused endpoints never receive a request; credentials never come back."""

import json
import socket
import threading
import uuid

import boto3
import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs_client

from server.errors import Forbidden
from server.extensions import db
from server.models import AuditEvent, Team
from server.services import files, licensing, system_settings
from server.services.secret_box import unseal
from tests.factories import bearer, make_key, make_team, make_user
from tests.fixtures.ports import free_port

INSTANCE_URL = "https://outpost.example.test"
KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-outpost-test"


def host_port(endpoint: str) -> str:
    return endpoint.split("://", 1)[1]


def allow(*endpoints: str) -> None:
    system_settings.update_settings({"byob_endpoint_allowlist": [host_port(e) for e in endpoints]})


def boto(endpoint, access_key="testing", secret_key="testing"):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
    )


def gcs(endpoint):
    return gcs_client.Client(
        project="outpost-test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": endpoint},
    )


def create(client, key, slug, storage):
    return client.post(
        "/api/v1/teams", json={"name": slug, "storage": storage}, headers=bearer(key)
    )


def unique(word: str) -> str:
    return f"{word}-{uuid.uuid4().hex[:10]}"


def assert_no_team(slug):
    assert db.session.scalar(db.select(Team).where(Team.slug == slug)) is None


@pytest.fixture
def byob_app(make_app, issue_license):
    """Filesystem instance storage, a license with secure_storage_connector, an admin key."""
    app = make_app(url=INSTANCE_URL)
    with app.app_context():
        licensing.install_license(issue_license())
        app.admin_key = make_key(make_user("root", system_admin=True, password=None))
        yield app


@pytest.fixture
def s3_bucket(s3_server):
    """A customer's bucket on the S3 server: no versioning, no CORS."""
    name = unique("customer")
    boto(s3_server.endpoint).create_bucket(Bucket=name)
    return name


def s3_spec(s3_server, bucket, **extra):
    return {
        "provider": "s3",
        "bucket": bucket,
        "endpoint": s3_server.endpoint,
        "region": "us-east-1",
        "credentials": {"access_key": "customer-key", "secret_key": "customer-secret-7f3a9c"},
        **extra,
    }


def all_versions(client, bucket) -> list:
    listing = client.list_object_versions(Bucket=bucket)
    return listing.get("Versions", []) + listing.get("DeleteMarkers", [])


# -- success ------------------------------------------------------------------------------------


def test_team_on_its_own_s3_bucket_is_created_after_the_probe(byob_app, s3_server, s3_bucket):
    allow(s3_server.endpoint)
    slug = unique("byob")
    spec = s3_spec(s3_server, s3_bucket, prefix="outpost/ml", kms_key_id=KMS_KEY)
    response = create(byob_app.test_client(), byob_app.admin_key, slug, spec)

    assert response.status_code == 201, response.json
    storage = response.json["storage"]
    assert {k: storage[k] for k in ("kind", "bucket", "provider", "prefix", "kms_key_id")} == {
        "kind": "byob",
        "bucket": s3_bucket,
        "provider": "s3",
        "prefix": "outpost/ml",
        "kms_key_id": KMS_KEY,
    }
    assert storage["endpoint"] == s3_server.endpoint
    (versioning, cors) = storage["warnings"]
    assert versioning.startswith(f"Versioning is off on {s3_bucket}")
    assert f"CORS on {s3_bucket} does not let {INSTANCE_URL} upload" in cors
    assert all_versions(boto(s3_server.endpoint), s3_bucket) == []  # the probe cleaned up


def test_a_well_configured_bucket_gets_no_warnings(byob_app, s3_server, s3_bucket):
    s3 = boto(s3_server.endpoint)
    s3.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    rule = {
        "AllowedOrigins": [INSTANCE_URL],
        "AllowedMethods": ["GET", "PUT", "HEAD"],
        "AllowedHeaders": ["*"],
    }
    s3.put_bucket_cors(Bucket=s3_bucket, CORSConfiguration={"CORSRules": [rule]})
    allow(s3_server.endpoint)
    response = create(
        byob_app.test_client(), byob_app.admin_key, unique("byob"), s3_spec(s3_server, s3_bucket)
    )
    assert response.status_code == 201, response.json
    assert response.json["storage"]["warnings"] == []
    assert all_versions(s3, s3_bucket) == []  # the probe's version was deleted, not hidden


def test_team_on_its_own_gcs_bucket(byob_app, gcs_emulator_env):
    bucket = unique("customer")
    inspect = gcs(gcs_emulator_env.endpoint)
    inspect.create_bucket(bucket)
    allow(gcs_emulator_env.endpoint)
    slug = unique("byob")
    spec = {"provider": "gcs", "bucket": bucket, "prefix": "team-data"}
    response = create(byob_app.test_client(), byob_app.admin_key, slug, spec)

    assert response.status_code == 201, response.json
    storage = response.json["storage"]
    assert (storage["kind"], storage["provider"], storage["bucket"]) == ("byob", "gcs", bucket)
    assert any(w.startswith(f"Versioning is off on {bucket}") for w in storage["warnings"])
    assert any("CORS" in w for w in storage["warnings"])
    assert list(inspect.list_blobs(bucket)) == []

    team = db.session.scalar(db.select(Team).where(Team.slug == slug))
    upload = files.upload_url(team, "runs/r1/metrics.json", size=2)
    assert requests.put(upload["url"], data=b"{}", headers=upload["headers"], timeout=10).ok
    assert [b.name for b in inspect.list_blobs(bucket)] == ["team-data/runs/r1/metrics.json"]


# -- files of a BYOB team -----------------------------------------------------------------------


@pytest.fixture
def s3_team(byob_app, s3_server, s3_bucket):
    """A BYOB team on the S3 server, created through the API with a prefix and a KMS key."""
    allow(s3_server.endpoint)
    slug = unique("byob")
    spec = s3_spec(s3_server, s3_bucket, prefix="outpost/ml", kms_key_id=KMS_KEY)
    response = create(byob_app.test_client(), byob_app.admin_key, slug, spec)
    assert response.status_code == 201, response.json
    return db.session.scalar(db.select(Team).where(Team.slug == slug))


def test_files_land_under_the_prefix_encrypted_with_the_kms_key(s3_team, s3_server):
    payload = b"checkpoint " * 500
    upload = files.upload_url(s3_team, "runs/r1/model.bin", size=len(payload))
    put = requests.put(upload["url"], data=payload, headers=upload["headers"], timeout=10)
    assert put.status_code == 200, put.text

    s3 = boto(s3_server.endpoint)
    head = s3.head_object(Bucket=s3_team.bucket, Key="outpost/ml/runs/r1/model.bin")
    assert head["ContentLength"] == len(payload)
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", KMS_KEY)
    files.verify_uploaded(s3_team, [("runs/r1/model.bin", len(payload))])
    got = requests.get(files.download_url(s3_team, "runs/r1/model.bin")["url"], timeout=10)
    assert got.status_code == 200 and got.content == payload


def test_credentials_are_sealed_and_never_returned(byob_app, s3_team):
    client, key = byob_app.test_client(), byob_app.admin_key
    secret, access = "customer-secret-7f3a9c", "customer-key"
    shown = [
        client.get(f"/api/v1/teams/{s3_team.slug}", headers=bearer(key)).get_data(as_text=True),
        client.get("/api/v1/teams", headers=bearer(key)).get_data(as_text=True),
    ]
    events = db.session.scalars(db.select(AuditEvent)).all()
    shown += [json.dumps(e.details) + e.target_name for e in events]
    assert all(secret not in text and access not in text for text in shown)
    assert "credentials" not in json.loads(shown[0])["storage"]

    stored = db.session.scalar(db.select(Team.storage_credentials).where(Team.id == s3_team.id))
    assert secret not in stored and access not in stored
    assert unseal(stored) == {"access_key": access, "secret_key": secret}


def test_storage_of_a_byob_team_cannot_be_migrated(byob_app, s3_team, s3_server):
    client, key = byob_app.test_client(), byob_app.admin_key
    before = client.get(f"/api/v1/teams/{s3_team.slug}", headers=bearer(key)).json["storage"]
    for change in ("internal", s3_spec(s3_server, "another-bucket"), None):
        response = client.patch(
            f"/api/v1/teams/{s3_team.slug}", json={"storage": change}, headers=bearer(key)
        )
        assert response.status_code == 409
        assert response.json["error"]["code"] == "storage_migration_not_supported"
        assert "bucket migration is not supported" in response.json["error"]["message"]
    after = client.get(f"/api/v1/teams/{s3_team.slug}", headers=bearer(key)).json["storage"]
    assert after == before
    db.session.refresh(s3_team)
    assert (s3_team.storage_kind, s3_team.bucket) == ("byob", before["bucket"])


def test_an_endpoint_removed_from_the_allowlist_gets_no_more_requests(s3_team):
    files.stat(s3_team, "runs/r1/model.bin")  # builds and caches the team's storage client
    sent = []
    provider = files.team_location(s3_team).provider
    provider.client.meta.events.register("before-send", lambda request, **_: sent.append(request))
    files.stat(s3_team, "runs/r1/model.bin")
    assert len(sent) == 1

    system_settings.update_settings({"byob_endpoint_allowlist": []})
    for call in (
        lambda: files.upload_url(s3_team, "runs/r1/model.bin", size=1),
        lambda: files.download_url(s3_team, "runs/r1/model.bin"),
        lambda: files.stat(s3_team, "runs/r1/model.bin"),
    ):
        with pytest.raises(Forbidden) as refused:
            call()
        assert refused.value.code == "endpoint_not_allowed"
        assert "No request was sent" in refused.value.message
    assert len(sent) == 1


def test_the_same_team_name_cannot_be_reused_for_a_byob_team(byob_app, s3_server, s3_bucket):
    make_team("taken")
    allow(s3_server.endpoint)
    response = create(
        byob_app.test_client(), byob_app.admin_key, "taken", s3_spec(s3_server, s3_bucket)
    )
    assert response.status_code == 409 and response.json["error"]["code"] == "team_exists"


# -- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["s3", "gcs"])
def test_a_bucket_that_does_not_exist_is_refused(byob_app, s3_server, gcs_emulator_env, provider):
    if provider == "s3":
        allow(s3_server.endpoint)
        spec = s3_spec(s3_server, unique("missing"))
    else:
        allow(gcs_emulator_env.endpoint)
        spec = {"provider": "gcs", "bucket": unique("missing")}
    slug = unique("byob")
    response = create(byob_app.test_client(), byob_app.admin_key, slug, spec)
    assert response.status_code == 422
    error = response.json["error"]
    assert (error["code"], error["reason"]) == (
        "bucket_verification_failed",
        "storage_bucket_not_found",
    )
    assert f"{spec['bucket']!r}" in error["message"] and "was not created" in error["message"]
    assert_no_team(slug)


@pytest.mark.parametrize(
    ("who", "reason"),
    [("wrong-secret", "storage_invalid_credentials"), ("no-permission", "storage_access_denied")],
)
def test_credentials_that_cannot_use_the_bucket_are_refused(byob_app, s3_auth_server, who, reason):
    bucket = unique("customer")
    good = boto(s3_auth_server.endpoint, s3_auth_server.access_key, s3_auth_server.secret_key)
    good.create_bucket(Bucket=bucket)
    if who == "wrong-secret":
        credentials = {"access_key": s3_auth_server.access_key, "secret_key": "not-the-secret"}
    else:
        denied = s3_auth_server.denied()
        credentials = {"access_key": denied.access_key, "secret_key": denied.secret_key}
    allow(s3_auth_server.endpoint)
    slug = unique("byob")
    spec = {
        "provider": "s3",
        "bucket": bucket,
        "endpoint": s3_auth_server.endpoint,
        "credentials": credentials,
    }
    response = create(byob_app.test_client(), byob_app.admin_key, slug, spec)
    assert response.status_code == 422
    error = response.json["error"]
    assert (error["code"], error["reason"]) == ("bucket_verification_failed", reason)
    assert credentials["secret_key"] not in json.dumps(response.json)
    assert_no_team(slug)
    assert all_versions(good, bucket) == []


@pytest.fixture
def listener():
    """A loopback socket that records every connection made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.1)
    accepted, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            accepted.append(conn)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    sock.close()


@pytest.mark.parametrize("provider", ["s3", "gcs"])
def test_an_endpoint_off_the_allowlist_receives_no_request(byob_app, s3_server, listener, provider):
    endpoint, accepted = listener
    allow(s3_server.endpoint)  # something else is allowed
    spec = {"provider": provider, "bucket": "customer-bucket", "endpoint": endpoint}
    slug = unique("byob")
    response = create(byob_app.test_client(), byob_app.admin_key, slug, spec)
    assert response.status_code == 403
    error = response.json["error"]
    assert error["code"] == "endpoint_not_allowed"
    assert endpoint in error["message"] and "No request was sent" in error["message"]
    assert accepted == []
    assert_no_team(slug)


def test_without_the_license_feature_nothing_is_probed(make_app, listener):
    endpoint, accepted = listener
    app = make_app(url=INSTANCE_URL)
    with app.app_context():
        allow(endpoint)
        key = make_key(make_user("root", system_admin=True, password=None))
        spec = {"provider": "s3", "bucket": "customer-bucket", "endpoint": endpoint}
        response = create(app.test_client(), key, "no-license", spec)
        assert response.status_code == 403
        assert response.json["error"]["code"] == "license_required"
        assert response.json["error"]["feature"] == "secure_storage_connector"
        assert accepted == []
        assert_no_team("no-license")


def test_an_allowed_endpoint_that_does_not_answer_is_503(byob_app):
    endpoint = f"http://127.0.0.1:{free_port()}"
    allow(endpoint)
    slug = unique("byob")
    spec = {
        "provider": "s3",
        "bucket": "customer-bucket",
        "endpoint": endpoint,
        "credentials": {"access_key": "k", "secret_key": "s"},
    }
    response = create(byob_app.test_client(), byob_app.admin_key, slug, spec)
    assert response.status_code == 503
    assert response.json["error"]["code"] == "storage_unavailable"
    assert endpoint in response.json["error"]["message"]
    assert_no_team(slug)


@pytest.mark.parametrize(
    ("storage", "code"),
    [
        ({"provider": "azure", "bucket": "customer-bucket"}, "validation_failed"),
        ({"provider": "filesystem", "bucket": "customer-bucket"}, "validation_failed"),
        ({"provider": "s3", "bucket": "bad/bucket"}, "invalid_bucket_name"),
        ({"provider": "gcs", "bucket": "customer-bucket", "kms_key_id": "k"}, "invalid_storage"),
        (
            {"provider": "s3", "bucket": "customer-bucket", "credentials": {"access_key": "k"}},
            "invalid_credentials",
        ),
        (
            {
                "provider": "gcs",
                "bucket": "customer-bucket",
                "credentials": {"access_key": "k", "secret_key": "s"},
            },
            "invalid_credentials",
        ),
    ],
)
def test_bad_bucket_descriptions_are_422(byob_app, listener, storage, code):
    endpoint, accepted = listener
    allow(endpoint)
    response = create(
        byob_app.test_client(), byob_app.admin_key, "bad-spec", {**storage, "endpoint": endpoint}
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == code
    assert accepted == []
    assert_no_team("bad-spec")


@pytest.mark.parametrize("endpoint", ["http://[::1", "http://[not-an-ip]:9000"])
def test_an_endpoint_that_is_not_a_url_is_refused(byob_app, s3_server, endpoint):
    allow(s3_server.endpoint)
    spec = {"provider": "s3", "bucket": "customer-bucket", "endpoint": endpoint}
    response = create(byob_app.test_client(), byob_app.admin_key, "no-url", spec)
    assert response.status_code == 403, response.json
    assert response.json["error"]["code"] == "endpoint_not_allowed"
    assert_no_team("no-url")
