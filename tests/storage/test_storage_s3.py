"""The S3 API provider against moto's S3 server (stands in for AWS S3 and MinIO)."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from server.storage import (
    BucketNotEmpty,
    BucketNotFound,
    BucketTaken,
    StorageUnavailable,
    get_provider,
)
from server.storage.results import OUTPOST_CORS_ID

CONSOLE = "http://127.0.0.1:5000"


def test_provisioning_creates_a_complete_bucket(s3, bucket, team_slug):
    result = s3.ensure_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE])

    assert result.status == "created"
    assert result.changes[0] == "create bucket"
    client = s3.client
    assert client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert rule["AllowedOrigins"] == [CONSOLE]
    assert set(rule["AllowedMethods"]) == {"GET", "PUT", "HEAD"}
    tags = {t["Key"]: t["Value"] for t in client.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags == {"outpost-team": team_slug, "managed-by": "outpost"}


def test_second_run_is_unchanged(s3, bucket, team_slug):
    s3.ensure_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE])
    again = s3.ensure_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE])
    assert (again.status, again.changes) == ("unchanged", [])
    assert again.to_dict() == {
        "team": team_slug,
        "bucket": bucket,
        "status": "unchanged",
        "changes": [],
    }


def test_check_mode_changes_nothing(s3, bucket, team_slug):
    would = s3.check_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE])
    assert would.status == "created" and would.dry_run
    assert "enable versioning" in would.changes
    with pytest.raises(BucketNotFound):
        s3.bucket_usage(bucket)

    s3.client.create_bucket(Bucket=bucket)
    would = s3.check_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE])
    assert would.status == "updated"
    assert "Status" not in s3.client.get_bucket_versioning(Bucket=bucket)


def test_misconfigured_bucket_is_repaired(s3, bucket, team_slug):
    client = s3.client
    client.create_bucket(Bucket=bucket)
    foreign_rule = {"ID": "analytics", "AllowedOrigins": ["https://bi.example"]}
    foreign_rule["AllowedMethods"] = ["GET"]
    old_console = {"ID": OUTPOST_CORS_ID, "AllowedOrigins": ["https://old.example"]}
    old_console.update(AllowedMethods=["GET", "PUT", "HEAD"], AllowedHeaders=["*"])
    client.put_bucket_cors(
        Bucket=bucket, CORSConfiguration={"CORSRules": [foreign_rule, old_console]}
    )
    client.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": "cost-center", "Value": "42"}]}
    )

    result = s3.ensure_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE])

    assert result.status == "updated"
    assert len(result.changes) == 3  # versioning, CORS, tags
    assert client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = {r["ID"]: r for r in client.get_bucket_cors(Bucket=bucket)["CORSRules"]}
    assert rules["analytics"]["AllowedOrigins"] == ["https://bi.example"]  # left alone
    assert rules[OUTPOST_CORS_ID]["AllowedOrigins"] == [CONSOLE]  # replaced
    tags = {t["Key"]: t["Value"] for t in client.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags == {"cost-center": "42", "outpost-team": team_slug, "managed-by": "outpost"}
    assert s3.ensure_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE]).status == (
        "unchanged"
    )


def test_bucket_of_another_team_is_refused_untouched(s3, bucket, team_slug):
    s3.ensure_team_bucket(bucket, team_slug=team_slug)
    s3.client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    with pytest.raises(BucketTaken, match=team_slug):
        s3.ensure_team_bucket(bucket, team_slug="someone-else")
    assert s3.client.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


def test_unreachable_endpoint_fails_fast(s3_server, closed_port_endpoint, bucket, team_slug):
    provider = get_provider(s3_server.settings(endpoint=closed_port_endpoint))
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


def test_presigned_put_then_get(s3, bucket, team_slug):
    s3.ensure_team_bucket(bucket, team_slug=team_slug)
    body = b"weights " * 1000
    upload = s3.presign_put(bucket, "runs/1/model.bin", expires_in=600, content_length=len(body))

    assert "content-length" in parse_qs(urlsplit(upload.url).query)["X-Amz-SignedHeaders"][0]
    response = requests.put(upload.url, data=body, headers=upload.headers, timeout=10)
    assert response.status_code == 200

    info = s3.stat_object(bucket, "runs/1/model.bin")
    assert info.size == len(body) and info.etag
    download = requests.get(s3.presign_get(bucket, "runs/1/model.bin", 60), timeout=10)
    assert download.content == body


def test_presigned_urls_carry_their_lifetime(s3, bucket):
    # moto does not refuse expired URLs, so only the signed lifetime can be checked here.
    query = parse_qs(urlsplit(s3.presign_get(bucket, "k", expires_in=1)).query)
    assert query["X-Amz-Expires"] == ["1"]


def test_kms_key_is_applied_to_presigned_uploads(s3_server, s3, bucket, team_slug):
    kms = get_provider(s3_server.settings(kms_key_id="arn:aws:kms:us-east-1:1:key/test"))
    upload = kms.presign_put(bucket, "secret.bin", 60)
    assert upload.headers["x-amz-server-side-encryption"] == "aws:kms"
    signed = parse_qs(urlsplit(upload.url).query)["X-Amz-SignedHeaders"][0]
    assert "x-amz-server-side-encryption-aws-kms-key-id" in signed


def test_public_url_is_used_for_presigned_urls(s3_server, bucket):
    provider = get_provider(s3_server.settings(public_url="https://files.example.com"))
    assert provider.presign_get(bucket, "k", 60).startswith(f"https://files.example.com/{bucket}/")


def test_usage_stat_and_purge(s3, bucket, team_slug):
    s3.ensure_team_bucket(bucket, team_slug=team_slug)
    s3.put_bytes(bucket, "a.txt", b"12345")
    s3.put_bytes(bucket, "a.txt", b"123")  # a second version
    s3.put_bytes(bucket, "dir/b.txt", b"1")
    s3.delete_object(bucket, "dir/b.txt")  # leaves a delete marker and a version

    assert s3.bucket_usage(bucket) == 3
    assert s3.stat_object(bucket, "missing") is None
    with pytest.raises(BucketNotEmpty):
        s3.delete_bucket(bucket, purge=False)
    assert s3.delete_bucket(bucket) is True
    assert s3.delete_bucket(bucket) is False
    with pytest.raises(BucketNotFound):
        s3.bucket_usage(bucket)


def test_probe_reports_missing_versioning_and_cors(s3, bucket):
    s3.client.create_bucket(Bucket=bucket)
    report = s3.probe_access(bucket, prefix="team/data/", cors_origins=[CONSOLE])
    assert report.checks == ["write", "read", "delete"]
    assert any("Versioning is off" in w for w in report.warnings)
    assert any("CORS" in w and CONSOLE in w for w in report.warnings)
    assert s3.client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_probe_of_a_good_bucket_has_no_warnings(s3, bucket, team_slug):
    s3.ensure_team_bucket(bucket, team_slug=team_slug, cors_origins=[CONSOLE])
    report = s3.probe_access(bucket, prefix="p", cors_origins=[CONSOLE])
    assert report.warnings == []
    versions = s3.client.list_object_versions(Bucket=bucket)
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")


def test_probe_of_a_missing_bucket(s3, bucket):
    with pytest.raises(BucketNotFound, match=bucket):
        s3.probe_access(bucket, prefix="p")
