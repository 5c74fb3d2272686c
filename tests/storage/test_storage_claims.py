"""Verified objects on every provider (filesystem, moto S3, fake-gcs-server): ``claim_object``
puts exactly the bytes it checked at the target, refuses bytes that do not match, and is not
fooled by a client overwriting the source while it is being checked."""

import base64
import hashlib

import pytest

from server.storage import (
    Digest,
    DigestCheck,
    DigestMismatch,
    InvalidDigest,
    ObjectChanged,
    check_chunks,
)

GOOD = b"weights " * 4096
BAD = b"planted " * 4096


def sha(data: bytes) -> Digest:
    return Digest.sha256(hashlib.sha256(data).hexdigest())


def md5(data: bytes) -> Digest:
    return Digest.md5_base64(base64.b64encode(hashlib.md5(data).digest()).decode())


def test_one_check_takes_sha256_hex_and_wandb_style_base64_md5():
    check_chunks([GOOD[:10], GOOD[10:]], [sha(GOOD), md5(GOOD)], size=len(GOOD))
    with pytest.raises(DigestMismatch) as caught:
        check_chunks([BAD], [md5(GOOD)])
    assert caught.value.found["md5"] == md5(BAD).value
    with pytest.raises(DigestMismatch, match="size"):
        check_chunks([GOOD], [sha(GOOD)], size=len(GOOD) + 1)
    for bad in ("abc", "z" * 64):
        with pytest.raises(InvalidDigest):
            Digest.sha256(bad)
    with pytest.raises(InvalidDigest):
        Digest.md5_base64("bm90IGFuIG1kNQ==")  # base64, but not 16 bytes


@pytest.fixture(params=["fs", "s3", "gcs"])
def provider(request, bucket, team_slug):
    chosen = request.getfixturevalue(request.param)
    chosen.ensure_team_bucket(bucket, team_slug=team_slug)
    return chosen


def test_matching_bytes_move_to_the_target(provider, bucket):
    provider.put_bytes(bucket, "staging/1/x", GOOD)
    assert provider.claim_object(bucket, "staging/1/x", "final/x", DigestCheck([sha(GOOD)]))
    assert provider.get_bytes(bucket, "final/x") == GOOD
    assert provider.stat_object(bucket, "staging/1/x") is None
    assert provider.verify_object(bucket, "final/x", DigestCheck([sha(GOOD), md5(GOOD)]))
    assert (
        provider.claim_object(bucket, "staging/1/x", "final/x", DigestCheck([sha(GOOD)])) is False
    )


def test_mismatched_bytes_never_reach_the_target(provider, bucket):
    provider.put_bytes(bucket, "staging/1/x", BAD)
    with pytest.raises(DigestMismatch) as caught:
        provider.claim_object(bucket, "staging/1/x", "final/x", DigestCheck([sha(GOOD)]))
    assert caught.value.found["sha256"] == sha(BAD).value
    assert provider.stat_object(bucket, "final/x") is None
    assert provider.stat_object(bucket, "staging/1/x") is None  # wrong bytes are dropped
    provider.put_bytes(bucket, "final/y", BAD)
    with pytest.raises(DigestMismatch):
        provider.verify_object(bucket, "final/y", DigestCheck([sha(GOOD)]))


class OverwritingCheck(DigestCheck):
    """A check during which the uploader writes other bytes to the source."""

    def __init__(self, provider, bucket, key, expected):
        super().__init__(expected)
        self.provider, self.bucket, self.key, self.done = provider, bucket, key, False

    def write(self, chunk):
        if not self.done:
            self.done = True
            self.provider.put_bytes(self.bucket, self.key, BAD)
        return super().write(chunk)


def test_an_overwrite_during_the_check_cannot_slip_through(provider, bucket):
    provider.put_bytes(bucket, "staging/1/x", GOOD)
    check = OverwritingCheck(provider, bucket, "staging/1/x", [sha(GOOD)])
    try:
        provider.claim_object(bucket, "staging/1/x", "final/x", check)
    except ObjectChanged:
        assert provider.stat_object(bucket, "final/x") is None
    else:
        assert provider.get_bytes(bucket, "final/x") == GOOD


def test_on_an_unversioned_s3_bucket_a_private_copy_is_checked(s3, bucket):
    s3.client.create_bucket(Bucket=bucket)  # a team's own bucket may have versioning off
    s3.put_bytes(bucket, "staging/1/x", GOOD)
    check = OverwritingCheck(s3, bucket, "staging/1/x", [sha(GOOD)])
    assert s3.claim_object(bucket, "staging/1/x", "final/x", check)
    assert check.done and s3.get_bytes(bucket, "final/x") == GOOD
    listed = s3.client.list_objects_v2(Bucket=bucket).get("Contents", [])
    assert [item["Key"] for item in listed] == ["final/x"]  # no private copy left behind
