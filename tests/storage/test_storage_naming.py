"""Bucket names: DNS-safe for S3, MinIO and GCS, and never the same for two slugs."""

import re

import pytest

from server.storage import (
    InvalidBucketName,
    bucket_name_for_team,
    validate_bucket_name,
    validate_bucket_prefix,
)
from server.storage.naming import bucket_name_problems, label_value

DNS_SAFE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61})[a-z0-9]$")

AWKWARD_SLUGS = [
    "acme",
    "a",
    "Acme",
    "acme_corp",
    "acme--corp",
    "-acme-",
    "ü-team",
    "数据",
    "x" * 200,
    "google",
    "team-g00gle-research",
    "xn--team",
    "192.168.1.1",
    "team.with.dots",
    "team-s3alias",
    "a" * 55,
]


@pytest.mark.parametrize("slug", AWKWARD_SLUGS)
def test_every_slug_gives_a_valid_name(slug):
    name = bucket_name_for_team("outpost", slug)
    assert DNS_SAFE.match(name), name
    assert bucket_name_problems(name) == []
    assert ".." not in name and not name.startswith("xn--") and not name.endswith("-s3alias")


def test_clean_short_slugs_read_plainly():
    assert bucket_name_for_team("outpost", "vision-team") == "outpost-vision-team"


def test_long_slugs_are_shortened_with_a_hash():
    first = bucket_name_for_team("outpost", "a" * 80 + "1")
    second = bucket_name_for_team("outpost", "a" * 80 + "2")
    assert len(first) <= 63 and len(second) <= 63
    assert first != second
    assert re.search(r"--[0-9a-f]{10}$", first)


def test_names_are_stable():
    assert bucket_name_for_team("outpost", "Acme Corp") == bucket_name_for_team(
        "outpost", "Acme Corp"
    )


def test_no_two_slugs_collide():
    slugs = AWKWARD_SLUGS + ["acme-corp", "acme.corp", "ACME_CORP", "acme corp", "acme-corp-"]
    # slugs that look like another slug's hashed name must not take it
    slugs.append(bucket_name_for_team("outpost", "acme_corp").removeprefix("outpost-"))
    names = [bucket_name_for_team("outpost", slug) for slug in slugs]
    assert len(set(names)) == len(set(slugs))


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper",
        "under_score",
        "-start",
        "end-",
        "dou..ble",
        "192.168.5.4",
        "xn--punycode",
        "bucket-s3alias",
        "my-google-bucket",
        "sthree-thing",
    ],
)
def test_invalid_bucket_names_are_refused(name):
    with pytest.raises(InvalidBucketName):
        validate_bucket_name(name)


@pytest.mark.parametrize("prefix", ["", "Outpost", "out_post", "-x", "x-", "a--b", "xn", "a" * 41])
def test_unusable_prefixes_are_refused(prefix):
    with pytest.raises(InvalidBucketName):
        validate_bucket_prefix(prefix)


def test_empty_slug_is_refused():
    with pytest.raises(InvalidBucketName):
        bucket_name_for_team("outpost", "")


def test_label_values_are_valid_and_distinct():
    values = {label_value(slug) for slug in AWKWARD_SLUGS}
    assert len(values) == len(AWKWARD_SLUGS)
    for value in values:
        assert re.fullmatch(r"[a-z0-9_-]{1,63}", value), value
