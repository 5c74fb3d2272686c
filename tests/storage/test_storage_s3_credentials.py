"""Credential and permission failures, on a moto server that checks signatures and IAM policy."""

import pytest

from server.storage import (
    AccessDenied,
    BucketNotFound,
    InvalidCredentials,
    connector_settings,
    get_provider,
)


def connector(server, **overrides):
    values = {
        "endpoint": server.endpoint,
        "access_key": server.access_key,
        "secret_key": server.secret_key,
    }
    settings = connector_settings("s3", **{**values, **overrides})
    return get_provider(settings, endpoint_allowlist=[server.endpoint])


@pytest.fixture
def existing_bucket(s3_auth_server, bucket, team_slug):
    get_provider(s3_auth_server.settings()).ensure_team_bucket(bucket, team_slug=team_slug)
    return bucket


def test_probe_succeeds_with_good_credentials(s3_auth_server, existing_bucket):
    report = connector(s3_auth_server).probe_access(existing_bucket, prefix="byob/")
    assert report.checks == ["write", "read", "delete"]
    assert report.to_dict()["ok"] is True


def test_unknown_access_key(s3_auth_server, existing_bucket):
    provider = connector(s3_auth_server, access_key="AKIAUNKNOWNKEY000000")
    with pytest.raises(InvalidCredentials, match="InvalidAccessKeyId"):
        provider.probe_access(existing_bucket, prefix="p")


def test_wrong_secret(s3_auth_server, existing_bucket):
    provider = connector(s3_auth_server, secret_key="not-the-secret")
    with pytest.raises(InvalidCredentials, match="SignatureDoesNotMatch"):
        provider.probe_access(existing_bucket, prefix="p")
    with pytest.raises(InvalidCredentials):
        provider.ping()


def test_access_denied_on_probe(s3_auth_server, existing_bucket):
    denied = s3_auth_server.denied()
    provider = connector(denied)
    with pytest.raises(AccessDenied, match="may not write"):
        provider.probe_access(existing_bucket, prefix="p")


def test_access_denied_on_provisioning(s3_auth_server, existing_bucket, team_slug):
    provider = get_provider(s3_auth_server.denied().settings())
    with pytest.raises(AccessDenied, match="another account, or they lack permission"):
        provider.ensure_team_bucket(existing_bucket, team_slug=team_slug)


def test_wrong_bucket_name(s3_auth_server, bucket):
    with pytest.raises(BucketNotFound):
        connector(s3_auth_server).probe_access(bucket + "-missing", prefix="p")


def test_ping_tolerates_a_key_that_may_not_list_buckets(s3_auth_server):
    get_provider(s3_auth_server.denied().settings()).ping()
