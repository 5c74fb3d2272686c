"""Bucket and label names that every provider accepts.

Team buckets are named ``<prefix>-<slug>`` when the slug is already a clean DNS label and the
result fits; any other slug gets ``<prefix>-<readable part>--<hash>``. A clean slug never contains
``--``, so a hashed name can never equal the plain name of another slug, and two hashed names
differ by the hash of the original slug.
"""

from __future__ import annotations

import hashlib
import re

from .errors import InvalidBucketName

MAX_BUCKET_LEN = 63
MAX_PREFIX_LEN = 40
HASH_LEN = 10
MAX_LABEL_LEN = 63

# One DNS label of lowercase letters and digits joined by single hyphens.
_CLEAN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_IP_LIKE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
# GCS refuses names containing "google" or look-alikes; S3 reserves these prefixes/suffixes.
_FORBIDDEN_WORDS = re.compile(r"g[o0]{2}gle")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-", "goog")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")


def bucket_name_problems(name: str) -> list[str]:
    """Return why ``name`` is not a DNS-safe bucket name accepted by S3, MinIO and GCS."""
    problems = []
    if not 3 <= len(name) <= MAX_BUCKET_LEN:
        problems.append(f"must be 3 to {MAX_BUCKET_LEN} characters long")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name or "-"):
        problems.append(
            "may contain only lowercase letters, digits, dots and hyphens, "
            "and must start and end with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        problems.append("must not contain '..', '.-' or '-.'")
    if _IP_LIKE.match(name):
        problems.append("must not look like an IP address")
    if name.startswith(_RESERVED_PREFIXES):
        problems.append(f"must not start with any of {', '.join(_RESERVED_PREFIXES)}")
    if name.endswith(_RESERVED_SUFFIXES):
        problems.append(f"must not end with any of {', '.join(_RESERVED_SUFFIXES)}")
    if _FORBIDDEN_WORDS.search(name):
        problems.append("must not contain 'google' or a look-alike")
    return problems


def validate_bucket_name(name: str) -> str:
    """Return ``name`` unchanged if it is DNS-safe; raise InvalidBucketName otherwise."""
    problems = bucket_name_problems(name)
    if problems:
        raise InvalidBucketName(f"Bucket name {name!r} is not valid: {'; '.join(problems)}.")
    return name


def validate_bucket_prefix(prefix: str) -> str:
    """Check the instance's bucket prefix; raise InvalidBucketName when it is unusable."""
    if not prefix or len(prefix) > MAX_PREFIX_LEN or not _CLEAN.match(prefix):
        raise InvalidBucketName(
            f"Bucket prefix {prefix!r} is not valid: it must be 1 to {MAX_PREFIX_LEN} lowercase "
            "letters or digits, optionally joined by single hyphens."
        )
    # both name forms must be valid: reserved words, and "xn" + "--" would read as punycode
    for example in (f"{prefix}-abc", f"{prefix}--{'0' * HASH_LEN}"):
        if bucket_name_problems(example):
            raise InvalidBucketName(
                f"Bucket prefix {prefix!r} is not valid: names made from it would break the "
                f"naming rules ({'; '.join(bucket_name_problems(example))})."
            )
    return prefix


def short_hash(text: str, length: int = HASH_LEN) -> str:
    """A short, stable hex digest of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _readable_part(slug: str) -> str:
    text = _FORBIDDEN_WORDS.sub("", slug.lower())
    text = re.sub(r"[^a-z0-9]+", "-", text)
    return text.strip("-")


def bucket_name_for_team(prefix: str, team_slug: str) -> str:
    """Return the DNS-safe bucket name of a team's internal bucket.

    Different slugs always give different names (long or unusual slugs end in a hash of the exact
    slug). Raises InvalidBucketName for an unusable prefix or an empty slug.
    """
    validate_bucket_prefix(prefix)
    if not team_slug:
        raise InvalidBucketName("A team slug is needed to name its bucket.")
    plain = f"{prefix}-{team_slug}"
    if _CLEAN.match(team_slug) and not bucket_name_problems(plain):
        return plain
    room = MAX_BUCKET_LEN - len(prefix) - 1 - 2 - HASH_LEN
    readable = _readable_part(team_slug)[:room].strip("-")
    joiner = f"-{readable}--" if readable else "--"
    return validate_bucket_name(f"{prefix}{joiner}{short_hash(team_slug)}")


def label_value(text: str) -> str:
    """Return ``text`` as a value GCS labels and S3 tags both accept (stable, collision-free)."""
    if _CLEAN.match(text) and len(text) <= MAX_LABEL_LEN:
        return text
    readable = re.sub(r"[^a-z0-9]+", "-", text.lower())[: MAX_LABEL_LEN - HASH_LEN - 2]
    return f"{readable.strip('-')}--{short_hash(text)}"
