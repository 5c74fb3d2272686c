"""Artifact files in the team's bucket: manifests, content-addressed objects, clean-up.

Every file is stored under a key derived from its sha256 (``artifacts/sha256/<hex>``), so a file
that several versions share is uploaded and stored once per team. W&B clients name files by
MD5 instead: their digests are ``md5:<hex>`` and their objects ``artifacts/md5/<hex>``, and
their bytes are checked against the MD5 before a version commits. A version's manifest is kept as
rows (for paging and lookups) and, at commit, as one JSON object in the bucket.

Deduplication trusts only objects that a *committed* version of the team refers to; clean-up
deletes an object once no manifest row of the team refers to it. Both take the team row lock
(``SELECT … FOR UPDATE``) so that clean-up can never delete an object a new version was just
told it need not upload.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..errors import Conflict, OutpostError, ValidationFailed
from ..extensions import db
from ..models import ArtifactFile, ArtifactVersion, Team
from . import files

log = logging.getLogger(__name__)

OBJECT_PREFIX = "artifacts/sha256/"
MD5_PREFIX = "artifacts/md5/"
MANIFEST_PREFIX = "artifacts/manifests/"
MANIFEST_FORMAT = "outpost.artifact-manifest/1"
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
MD5_DIGEST_RE = re.compile(r"^md5:[0-9a-f]{32}$")
MAX_CLIENT_MANIFEST_BYTES = 64 * 1024 * 1024
# One pre-signed PUT carries one file: the S3 limit for a single upload.
MAX_FILE_BYTES = 5 * 1024**3
MAX_FILES = 10_000
_CHUNK = 500  # digests per IN (...) list


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    digest: str
    size: int


def object_key(digest: str) -> str:
    if digest.startswith("md5:"):
        return MD5_PREFIX + digest.removeprefix("md5:")
    return OBJECT_PREFIX + digest


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _entry(path: str, digest: str, size: int) -> ManifestEntry:
    files.check_relative_path(path)
    digest = (digest or "").lower().removeprefix("sha256:")
    if not DIGEST_RE.match(digest) and not MD5_DIGEST_RE.match(digest):
        raise ValidationFailed(
            f"{path}: the digest must be the file's sha256 as 64 hexadecimal characters.",
            code="invalid_digest",
            path=path,
        )
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_FILE_BYTES:
        raise ValidationFailed(
            f"{path}: the size must be a whole number of bytes from 0 to {MAX_FILE_BYTES}.",
            code="invalid_size",
            path=path,
        )
    return ManifestEntry(path, digest, size)


def validate_manifest(raw: Iterable[tuple[str, str, int]]) -> list[ManifestEntry]:
    """Check ``(path, digest, size)`` triples; return the entries sorted by path.

    Raises ValidationFailed: ``invalid_path``, ``invalid_digest``, ``invalid_size``,
    ``duplicate_path``, ``digest_size_mismatch`` (one digest given two sizes), ``too_many_files``.
    """
    entries = [_entry(path, digest, size) for path, digest, size in raw]
    if len(entries) > MAX_FILES:
        raise ValidationFailed(f"A version holds at most {MAX_FILES} files.", code="too_many_files")
    seen_paths: set[str] = set()
    sizes: dict[str, int] = {}
    for entry in entries:
        if entry.path in seen_paths:
            raise ValidationFailed(
                f"{entry.path} appears twice in the manifest.",
                code="duplicate_path",
                path=entry.path,
            )
        seen_paths.add(entry.path)
        if sizes.setdefault(entry.digest, entry.size) != entry.size:
            raise _size_mismatch(entry, sizes[entry.digest])
    return sorted(entries, key=lambda e: e.path)


def _size_mismatch(entry: ManifestEntry, known: int) -> ValidationFailed:
    return ValidationFailed(
        f"{entry.path}: digest {entry.digest} was declared with {entry.size} bytes, but the same "
        f"content has {known} bytes.",
        code="digest_size_mismatch",
        path=entry.path,
    )


def manifest_digest(entries: list[ManifestEntry]) -> str:
    """sha256 of the canonical manifest: equal file sets give equal digests."""
    canonical = json.dumps([[e.path, e.digest, e.size] for e in entries], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_team_objects(team: Team) -> None:
    """Serialise deduplication and clean-up within a team (row lock; a no-op on SQLite,
    whose writers are serialised by the database itself)."""
    db.session.execute(select(Team.id).where(Team.id == team.id).with_for_update())


def committed_sizes(team_id: int, digests: Iterable[str]) -> dict[str, int]:
    """Digest → size of the objects that committed versions of the team refer to."""
    wanted = sorted(set(digests))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        stmt = (
            select(ArtifactFile.digest, ArtifactFile.size)
            .join(ArtifactVersion, ArtifactVersion.id == ArtifactFile.version_id)
            .where(
                ArtifactFile.team_id == team_id,
                ArtifactFile.digest.in_(chunk),
                ArtifactVersion.state == "committed",
            )
            .distinct()
        )
        found.update((digest, size) for digest, size in db.session.execute(stmt))
    return found


def check_known_sizes(entries: list[ManifestEntry], known: dict[str, int]) -> None:
    for entry in entries:
        if entry.digest in known and known[entry.digest] != entry.size:
            raise _size_mismatch(entry, known[entry.digest])


def upload_plan(team: Team, entries: list[ManifestEntry], skip: set[str]) -> list[dict[str, Any]]:
    """Pre-signed PUTs for each distinct object not in ``skip``, naming the paths it serves."""
    paths: dict[str, list[str]] = {}
    sizes: dict[str, int] = {}
    for entry in entries:
        if entry.digest not in skip:
            paths.setdefault(entry.digest, []).append(entry.path)
            sizes[entry.digest] = entry.size
    return [
        {
            "digest": digest,
            "size": sizes[digest],
            "paths": paths[digest],
            **files.upload_url(team, object_key(digest), size=sizes[digest]),
        }
        for digest in paths
    ]


def stored_digests(team: Team, digests: Iterable[str]) -> set[str]:
    """The digests whose objects are in the bucket (one stat each)."""
    return {d for d in set(digests) if files.stat(team, object_key(d)) is not None}


def verify_objects(team: Team, entries: list[ManifestEntry]) -> None:
    """Every object of the manifest is in the bucket with its declared size.

    Raises Conflict ``upload_incomplete`` listing, per missing or mis-sized object, its digest,
    the paths it serves and the problem.
    """
    unique = {e.digest: e.size for e in entries}
    try:
        files.verify_uploaded(team, [(object_key(d), s) for d, s in unique.items()])
    except Conflict as exc:
        paths: dict[str, list[str]] = {}
        for entry in entries:
            paths.setdefault(entry.digest, []).append(entry.path)
        problems = []
        for problem in exc.details.get("files", []):
            key = problem["key"]
            digest = (
                "md5:" + key.removeprefix(MD5_PREFIX)
                if key.startswith(MD5_PREFIX)
                else key.removeprefix(OBJECT_PREFIX)
            )
            problems.append({**problem, "digest": digest, "paths": paths.get(digest, [])})
        raise Conflict(exc.message, code="upload_incomplete", files=problems) from None


def verify_md5(team: Team, entries: list[ManifestEntry]) -> None:
    """Every ``md5:`` object of the manifest holds bytes with that MD5 (the ETag S3 and GCS
    report for a single upload; read back from the filesystem store, whose ETag is not one).

    Raises Conflict ``digest_mismatch`` naming the paths whose bytes differ.
    """
    unique = {e.digest for e in entries if e.digest.startswith("md5:")}
    bad = sorted(d for d in unique if _md5_of(team, object_key(d)) != d.removeprefix("md5:"))
    if bad:
        paths = [e.path for e in entries if e.digest in bad]
        raise Conflict(
            f"{len(paths)} file(s) do not have the MD5 they were declared with; upload them again.",
            code="digest_mismatch",
            paths=paths,
        )


def _md5_of(team: Team, key: str) -> str | None:
    from ..storage import StorageError

    info = files.stat(team, key)
    if info is None:
        return None
    if re.fullmatch(r"[0-9a-f]{32}", info.etag or ""):
        return info.etag
    where = files.team_location(team)
    try:
        return hashlib.md5(where.provider.get_bytes(where.bucket, where.key(key))).hexdigest()
    except StorageError as exc:
        raise files.storage_error(exc) from None


def read_object(team: Team, key: str, limit: int = MAX_CLIENT_MANIFEST_BYTES) -> bytes | None:
    """A small object the client uploaded (a W&B manifest), or None when it is not there.
    Raises ValidationFailed ``manifest_too_large``."""
    from ..storage import StorageError

    info = files.stat(team, key)
    if info is None:
        return None
    if info.size > limit:
        raise ValidationFailed("The manifest is too large.", code="manifest_too_large")
    where = files.team_location(team)
    try:
        return where.provider.get_bytes(where.bucket, where.key(key))
    except StorageError as exc:
        raise files.storage_error(exc) from None


def write_object(team: Team, key: str, data: bytes) -> None:
    """Store server-written metadata (a client-format manifest) in the team's bucket."""
    from ..storage import StorageError

    where = files.team_location(team)
    try:
        where.provider.put_bytes(
            where.bucket, where.key(key), data, content_type="application/json"
        )
    except StorageError as exc:
        raise files.storage_error(exc) from None


def manifest_key(collection_id: int, version: int) -> str:
    return f"{MANIFEST_PREFIX}{collection_id}/v{version}.json"


def write_manifest(team: Team, key: str, header: dict[str, Any], entries) -> None:
    """Store the manifest as a JSON object in the team's bucket (server-written metadata,
    not client bytes). Raises the storage error as an OutpostError."""
    from ..storage import StorageError

    body = {
        "format": MANIFEST_FORMAT,
        **header,
        "files": [{"path": e.path, "digest": e.digest, "size": e.size} for e in entries],
    }
    data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    where = files.team_location(team)
    try:
        where.provider.put_bytes(
            where.bucket, where.key(key), data, content_type="application/json"
        )
    except StorageError as exc:
        raise files.storage_error(exc) from None


def release_objects(team: Team, digests: set[str], manifest_keys: list[str]) -> None:
    """After manifest rows were deleted (and committed): delete the objects that no row of the
    team refers to any more, and the given manifest objects. Storage failures only leave
    orphaned objects behind, so they are logged, not raised."""
    try:
        lock_team_objects(team)
        still_used: set[str] = set()
        for chunk in _chunks(sorted(digests)):
            stmt = select(ArtifactFile.digest).where(
                ArtifactFile.team_id == team.id, ArtifactFile.digest.in_(chunk)
            )
            still_used.update(db.session.scalars(stmt.distinct()))
        for key in [object_key(d) for d in sorted(digests - still_used)] + manifest_keys:
            files.delete(team, key)
    except (OutpostError, SQLAlchemyError) as exc:
        db.session.rollback()
        log.warning("artifact clean-up left objects behind", extra={"error": str(exc)})
        return
    db.session.commit()  # releases the lock
