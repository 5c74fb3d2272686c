"""Team buckets through the API: a team created with ``POST /api/v1/teams`` gets its bucket on
the S3 API server and on the GCS API server; failures leave no team and no bucket behind;
``/readyz`` follows the instance storage; pre-signed URL lifetimes and sizes hold.

The buckets are inspected with the storage servers' own clients (boto3, google-cloud-storage).
fake-gcs-server drops labels and CORS rules, so on GCS those are read from the request the
server sends (recorded on its HTTP session; the request still goes to the real server).
"""

import json
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs_client

from server.cli import main
from server.extensions import db
from server.models import AuditEvent, Team
from server.services import files
from server.services.team_storage import instance_provider
from tests.factories import bearer, make_key, make_user
from tests.fixtures.object_storage import (
    S3Endpoint,
    _create_iam_user,
    _enable_moto_auth,
    _start_moto,
)
from tests.fixtures.ports import free_port

INSTANCE_URL = "https://outpost.example.test"
PREFIX = "api-test"


def unique_slug() -> str:
    return f"team-{uuid.uuid4().hex[:10]}"


def s3_settings(endpoint: S3Endpoint, **extra) -> dict:
    return {
        "storage_provider": "s3",
        "storage_endpoint": endpoint.endpoint,
        "storage_access_key": endpoint.access_key,
        "storage_secret_key": endpoint.secret_key,
        "storage_bucket_prefix": PREFIX,
        "url": INSTANCE_URL,
        **extra,
    }


def boto(endpoint: S3Endpoint):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint.endpoint,
        region_name="us-east-1",
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
    )


def bucket_names(client) -> set[str]:
    return {b["Name"] for b in client.list_buckets()["Buckets"]}


def create(client, key, slug, **body):
    return client.post("/api/v1/teams", json={"name": slug, **body}, headers=bearer(key))


def assert_no_team(slug):
    assert db.session.scalar(db.select(Team).where(Team.slug == slug)) is None
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "team:create" not in actions


@pytest.fixture
def closed_port() -> str:
    """A loopback address nothing listens on: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def s3_app(make_app, s3_server):
    app = make_app(**s3_settings(s3_server))
    with app.app_context():
        yield app


@pytest.fixture
def admin_key(s3_app):
    return make_key(make_user("root", system_admin=True, password=None))


# -- a bucket per team --------------------------------------------------------------------------


def test_team_created_through_the_api_gets_its_bucket_on_s3(s3_app, s3_server, admin_key):
    client, s3, slug = s3_app.test_client(), boto(s3_server), unique_slug()
    created = create(client, admin_key, slug)
    assert created.status_code == 201, created.json
    bucket = f"{PREFIX}-{slug}"
    assert created.json["storage"] == {"kind": "internal", "bucket": bucket, "provider": "s3"}

    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rule["AllowedOrigins"] == [INSTANCE_URL]
    assert set(rule["AllowedMethods"]) == {"GET", "PUT", "HEAD"}
    assert "ETag" in rule["ExposeHeaders"]
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags == {"outpost-team": slug, "managed-by": "outpost"}
    audit = db.session.scalars(db.select(AuditEvent).filter_by(action="team:create")).one()
    assert audit.details == {"storage": "internal", "bucket": bucket}


def test_creating_the_team_again_is_409_and_leaves_the_bucket_alone(s3_app, s3_server, admin_key):
    client, s3, slug = s3_app.test_client(), boto(s3_server), unique_slug()
    bucket = create(client, admin_key, slug).json["storage"]["bucket"]
    s3.put_object(Bucket=bucket, Key="runs/keep.txt", Body=b"kept")
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]},
    )

    again = create(client, admin_key, slug)
    assert again.status_code == 409 and again.json["error"]["code"] == "team_exists"
    assert s3.get_object(Bucket=bucket, Key="runs/keep.txt")["Body"].read() == b"kept"
    (rule,) = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rule["AllowedOrigins"] == ["*"]  # not "repaired" by the refused request


def test_provision_command_reports_an_existing_team_bucket_unchanged(s3_app, admin_key):
    slug = unique_slug()
    create(s3_app.test_client(), admin_key, slug)
    runner = s3_app.test_cli_runner()
    result = runner.invoke(main, ["storage", "provision", "--team", slug, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["changed"] is False
    assert report["teams"][0]["bucket"] == f"{PREFIX}-{slug}"
    assert report["teams"][0]["status"] == "unchanged"
    text = runner.invoke(main, ["storage", "provision", "--team", slug, "--check"])
    assert text.exit_code == 0 and f"bucket {PREFIX}-{slug} unchanged" in text.output


def test_team_created_through_the_api_gets_its_bucket_on_gcs(make_app, gcs_emulator_env):
    app = make_app(
        storage_provider="gcs",
        storage_endpoint=gcs_emulator_env.endpoint,
        storage_bucket_prefix=PREFIX,
        url=INSTANCE_URL,
    )
    with app.app_context():
        key = make_key(make_user("root", system_admin=True, password=None))
        patches = record_patches(instance_provider())
        slug = unique_slug()
        created = create(app.test_client(), key, slug)
        assert created.status_code == 201, created.json
        bucket = f"{PREFIX}-{slug}"
        assert created.json["storage"] == {"kind": "internal", "bucket": bucket, "provider": "gcs"}

        inspect = gcs_client.Client(
            project="outpost-test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": gcs_emulator_env.endpoint},
        )
        assert inspect.get_bucket(bucket).versioning_enabled is True
        (patch,) = patches
        assert patch["labels"] == {"outpost-team": slug, "managed-by": "outpost"}
        (rule,) = patch["cors"]
        assert rule["origin"] == [INSTANCE_URL]
        assert set(rule["method"]) == {"GET", "PUT", "HEAD"}

        again = create(app.test_client(), key, slug)
        assert again.status_code == 409 and again.json["error"]["code"] == "team_exists"
        assert len(patches) == 1  # the refused request sent the bucket nothing


def record_patches(provider) -> list[dict]:
    """Bodies of the PATCH requests the GCS provider sends (they still reach the server)."""
    session = provider.client._http
    bodies, real_request = [], session.request

    def recording(method, url, data=None, **kwargs):
        if method == "PATCH":
            bodies.append(json.loads(data))
        return real_request(method, url, data=data, **kwargs)

    session.request = recording
    return bodies


# -- provisioning failures leave nothing behind -------------------------------------------------


def test_storage_down_refuses_the_team_with_503(make_app, closed_port):
    app = make_app(**s3_settings(S3Endpoint(closed_port)))
    with app.app_context():
        slug = unique_slug()
        response = create(
            app.test_client(), make_key(make_user(system_admin=True, password=None)), slug
        )
        assert response.status_code == 503
        error = response.json["error"]
        assert error["code"] == "storage_unavailable"
        assert error["bucket"] == f"{PREFIX}-{slug}"
        assert f"Team '{slug}' was not created" in error["message"]
        assert closed_port in error["message"]
        assert_no_team(slug)


def test_access_denied_refuses_the_team_and_makes_no_bucket(make_app, s3_auth_server):
    app = make_app(**s3_settings(s3_auth_server.denied()))
    with app.app_context():
        slug = unique_slug()
        response = create(
            app.test_client(), make_key(make_user(system_admin=True, password=None)), slug
        )
        assert response.status_code == 502
        assert response.json["error"]["code"] == "storage_access_denied"
        assert "Access denied" in response.json["error"]["message"]
        assert_no_team(slug)
        assert f"{PREFIX}-{slug}" not in bucket_names(boto(s3_auth_server))


def test_bucket_labelled_for_another_team_is_409_and_left_unchanged(s3_app, s3_server, admin_key):
    s3, slug = boto(s3_server), unique_slug()
    bucket = f"{PREFIX}-{slug}"
    s3.create_bucket(Bucket=bucket)
    foreign = [{"Key": "outpost-team", "Value": "someone-else"}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": foreign})

    response = create(s3_app.test_client(), admin_key, slug)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "storage_bucket_taken"
    assert "someone-else" in response.json["error"]["message"]
    assert_no_team(slug)
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == foreign
    assert s3.get_bucket_versioning(Bucket=bucket).get("Status") is None


@pytest.fixture(scope="module")
def s3_no_tagging():
    """An S3 server whose only user may do everything on S3 except tag buckets: provisioning
    creates the bucket, then fails half-way."""
    with tempfile.TemporaryDirectory() as tmp:
        server, endpoint = _start_moto(Path(tmp), "moto-s3-no-tagging")
        try:
            iam = boto3.session.Session().client(
                "iam",
                endpoint_url=endpoint,
                region_name="us-east-1",
                aws_access_key_id="setup",
                aws_secret_access_key="setup",
            )
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    {"Effect": "Deny", "Action": "s3:PutBucketTagging", "Resource": "*"},
                ],
            }
            key, secret = _create_iam_user(iam, "no-tagging", policy)
            _enable_moto_auth(endpoint)
            yield S3Endpoint(endpoint, access_key=key, secret_key=secret)
        finally:
            server.stop()


def test_a_bucket_made_before_provisioning_failed_is_removed(make_app, s3_no_tagging):
    app = make_app(**s3_settings(s3_no_tagging))
    with app.app_context():
        slug = unique_slug()
        response = create(
            app.test_client(), make_key(make_user(system_admin=True, password=None)), slug
        )
        assert response.status_code == 502
        assert response.json["error"]["code"] == "storage_access_denied"
        assert f"update the settings of bucket {PREFIX}-{slug}" in response.json["error"]["message"]
        assert_no_team(slug)
        assert bucket_names(boto(s3_no_tagging)) == set()


# -- readiness ----------------------------------------------------------------------------------


def test_readyz_is_ok_while_instance_storage_answers(s3_app):
    response = s3_app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}


def test_readyz_is_503_when_instance_storage_is_down(make_app, closed_port):
    app = make_app(**s3_settings(S3Endpoint(closed_port)))
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    if response.json["checks"]["storage"] == "timeout":
        # On a loaded machine the first check (which also builds the S3 client) and its retry
        # can outlast the probe: the next probe waits for that same check's answer.
        response = client.get("/readyz")
        assert response.status_code == 503
    assert response.json == {
        "status": "unavailable",
        "checks": {"database": "ok", "storage": "unavailable"},
    }


# -- pre-signed URL rules -----------------------------------------------------------------------


def test_expired_filesystem_urls_and_oversized_uploads_are_refused(make_app):
    app = make_app(storage_download_url_seconds=1, storage_upload_url_seconds=1)
    with app.app_context():
        from server.services import teams

        team = teams.create_team(make_user(system_admin=True, password=None), unique_slug())
        provider = instance_provider()
        provider.put_bytes(team.bucket, "runs/a.txt", b"abc")
        upload = files.upload_url(team, "runs/b.txt", size=3)
        download = files.download_url(team, "runs/a.txt")
        too_big = provider.presign_put(team.bucket, "runs/c.txt", expires_in=60, content_length=3)
        client = app.test_client()

        refused = client.put(path_of(too_big.url), data=b"abcdef")
        assert refused.status_code == 413
        assert refused.json["error"]["code"] == "upload_too_large"
        assert provider.stat_object(team.bucket, "runs/c.txt") is None

        time.sleep(2.1)  # both URLs were signed for one second
        late_put = client.put(path_of(upload["url"]), data=b"abc", headers=upload["headers"])
        late_get = client.get(path_of(download["url"]))
        for response in (late_put, late_get):
            assert response.status_code == 403
            assert response.json["error"]["code"] == "url_expired"
        assert provider.stat_object(team.bucket, "runs/b.txt") is None


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_s3_urls_carry_the_configured_lifetimes_and_pin_the_size(make_app, s3_server):
    """moto does not verify pre-signed URLs (signature or expiry); what S3 and MinIO enforce
    is what the URL says, so that is checked here."""
    app = make_app(
        **s3_settings(s3_server, storage_download_url_seconds=60, storage_upload_url_seconds=120)
    )
    with app.app_context():
        from server.services import teams

        team = teams.create_team(make_user(system_admin=True, password=None), unique_slug())
        upload = files.upload_url(team, "runs/model.bin", size=1024)
        download = files.download_url(team, "runs/model.bin")
    put_query = parse_qs(urlsplit(upload["url"]).query)
    get_query = parse_qs(urlsplit(download["url"]).query)
    assert put_query["X-Amz-Expires"] == ["120"] and get_query["X-Amz-Expires"] == ["60"]
    assert "content-length" in put_query["X-Amz-SignedHeaders"][0].split(";")
    assert upload["headers"] == {"Content-Length": "1024"}
    assert urlsplit(upload["url"]).path == f"/{team.bucket}/runs/model.bin"
