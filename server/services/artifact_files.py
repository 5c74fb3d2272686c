"""Artifact files in the team's bucket: manifests, content-addressed objects, clean-up.

Every file is stored under a key derived from its sha256 (``artifacts/sha256/<hex>``), so a file
that several versions share is uploaded and stored once per team. W&B clients name files by
MD5 instead: their digests are ``md5:<hex>`` and their objects ``artifacts/md5/<hex>``, and
their bytes are checked against the MD5 before a version commits. A version's manifest is kept as
rows (for paging and lookups) and, at commit, as one JSON object in the bucket.

Clients never write a content-addressed key. Upload URLs name a per-version staging key
(``artifacts/staging/<version id>/<hex>``); at commit :func:`verify_objects` streams each staged
object through the digest check (``storage.digests``) and only bytes that match are moved to
their content address. An upload URL used again after commit writes a staging key nothing reads:
the bytes behind a committed version never change.

Deduplication trusts only objects that a *committed* version of the team refers to; clean-up
deletes an object once no manifest row of the team refers to it. Both take the team row lock
(``SELECT … FOR UPDATE``) so that clean-up can never delete an object a new version was just
told it need not upload.
"""

from __future__ import annotations

import base64
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
from . import artifact_references, files

log = logging.getLogger(__name__)

OBJECT_PREFIX = "artifacts/sha256/"
STAGING_PREFIX = "artifacts/staging/"
MD5_PREFIX = "artifacts/md5/"
MANIFEST_PREFIX = "artifacts/manifests/"
MANIFEST_FORMAT = "outpost.artifact-manifest/1"
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
MD5_DIGEST_RE = re.compile(r"^md5:[0-9a-f]{32}$")
MAX_CLIENT_MANIFEST_BYTES = 64 * 1024 * 1024
# One pre-signed PUT carries one file: the S3 limit for a single upload.
MAX_FILE_BYTES = 5 * 1024**3
# A door whose clients upload large files in parts (the W&B SDK): S3's largest object.
MAX_MULTIPART_FILE_BYTES = 5 * 1024**4
MAX_FILES = 10_000
_CHUNK = 500  # digests per IN (...) list


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    digest: str
    size: int
    ref: str | None = None  # a reference entry: the URI the client resolves (no bytes here)
    ref_digest: str | None = None  # the client's digest (MD5, ETag) of the reference


def object_key(digest: str) -> str:
    """Where verified bytes live; only the server writes here."""
    if digest.startswith("md5:"):
        return MD5_PREFIX + digest.removeprefix("md5:")
    return OBJECT_PREFIX + digest


def staging_key(version_id: int | str, digest: str) -> str:
    """Where a pending version's client uploads this object (the only key its URL names).
    ``version_id`` may also be a door's own staging name for an upload that precedes the
    version (the W&B protocol uploads files before it creates the version)."""
    return f"{STAGING_PREFIX}{version_id}/{digest}"


def declared_digest(digest: str, size: int):
    """The digest check for a manifest digest: sha256 hex, or ``md5:<hex>`` (W&B clients)."""
    from ..storage import Digest, DigestCheck

    if digest.startswith("md5:"):
        raw = bytes.fromhex(digest.removeprefix("md5:"))
        return DigestCheck([Digest.md5_base64(base64.b64encode(raw).decode())], size)
    return DigestCheck([Digest.sha256(digest)], size)


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _entry(
    path: str, digest: str, size: int, ref: str | None = None, *, limit: int = MAX_FILE_BYTES
) -> ManifestEntry:
    files.check_relative_path(path)
    if ref is not None:
        return _reference_entry(path, digest, size, ref)
    digest = (digest or "").lower().removeprefix("sha256:")
    if not DIGEST_RE.match(digest) and not MD5_DIGEST_RE.match(digest):
        raise ValidationFailed(
            f"{path}: the digest must be the file's sha256 as 64 hexadecimal characters.",
            code="invalid_digest",
            path=path,
        )
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= limit:
        raise ValidationFailed(
            f"{path}: the size must be a whole number of bytes from 0 to {limit}.",
            code="invalid_size",
            path=path,
        )
    return ManifestEntry(path, digest, size)


def _reference_entry(path: str, digest: str, size: int, ref: str) -> ManifestEntry:
    ref, digest = artifact_references.check_reference(path, ref, digest)
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValidationFailed(
            f"{path}: the size must be a whole number of bytes.", code="invalid_size", path=path
        )
    identity = artifact_references.reference_digest(ref, digest, size)
    return ManifestEntry(path, identity, size, ref, digest)


def validate_manifest(
    raw: Iterable[tuple], max_file_bytes: int = MAX_FILE_BYTES
) -> list[ManifestEntry]:
    """Check ``(path, digest, size)`` triples, or ``(path, client digest, size, uri)`` for a
    reference entry (``artifact_references``); return the entries sorted by path.

    Raises ValidationFailed: ``invalid_path``, ``invalid_digest``, ``invalid_size``,
    ``duplicate_path``, ``digest_size_mismatch`` (one digest given two sizes), ``too_many_files``.
    """
    entries = [_entry(*item, limit=max_file_bytes) for item in raw]
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


def upload_plan(
    team: Team, version_id: int, entries: list[ManifestEntry], skip: set[str]
) -> list[dict[str, Any]]:
    """Pre-signed PUTs to the version's staging keys for each distinct object not in ``skip``,
    naming the paths it serves."""
    paths: dict[str, list[str]] = {}
    sizes: dict[str, int] = {}
    for entry in entries:
        if entry.digest not in skip and entry.ref is None:
            paths.setdefault(entry.digest, []).append(entry.path)
            sizes[entry.digest] = entry.size
    return [
        {
            "digest": digest,
            "size": sizes[digest],
            "paths": paths[digest],
            **files.upload_url(team, staging_key(version_id, digest), size=sizes[digest]),
        }
        for digest in paths
    ]


def stored_digests(team: Team, version_id: int, digests: Iterable[str]) -> set[str]:
    """The digests whose bytes are staged for the version or verified already (stats)."""
    return {
        d
        for d in set(digests)
        if not artifact_references.is_reference(d)
        and files.stat(team, staging_key(version_id, d)) is not None
        or files.stat(team, object_key(d)) is not None
    }


def _paths_by_digest(entries: list[ManifestEntry]) -> dict[str, list[str]]:
    paths: dict[str, list[str]] = {}
    for entry in entries:
        paths.setdefault(entry.digest, []).append(entry.path)
    return paths


def _locate_uploads(team: Team, version_id: int, unique: dict[str, int], paths) -> dict:
    """Stat each object (cheap, before any byte is read): ``digest -> "staged" | "stored"``.
    Raises Conflict ``upload_incomplete`` for missing or mis-sized objects."""
    found, problems = {}, []
    for digest, size in unique.items():
        key = staging_key(version_id, digest)
        staged = files.stat(team, key)
        if staged is not None and staged.size != size:
            problem = {"problem": "size", "expected": size, "found": staged.size}
        elif staged is not None:
            found[digest] = "staged"
            continue
        elif files.stat(team, object_key(digest)) is not None:
            found[digest] = "stored"  # claimed by an earlier attempt, checked again below
            continue
        else:
            problem = {"problem": "missing"}
        problems.append({"key": key, **problem, "digest": digest, "paths": paths[digest]})
    if problems:
        raise Conflict(
            f"{len(problems)} file(s) were not uploaded as declared; upload them and try again.",
            code="upload_incomplete",
            files=problems,
        )
    return found


def _check_one(team: Team, version_id: int, digest: str, size: int, where: str) -> None:
    """Stream one object through the digest check; staged bytes that pass move to their
    content address. Raises DigestMismatch (the wrong bytes are deleted), Conflict
    ``upload_incomplete`` when the object vanished meanwhile."""
    from ..storage import DigestMismatch

    def check():
        return declared_digest(digest, size)

    staged = staging_key(version_id, digest)
    if where == "staged" and files.claim(team, staged, object_key(digest), check()):
        return
    # Not staged (any more): an earlier or concurrent commit put bytes in place; check them.
    try:
        present = files.verify_stored(team, object_key(digest), check())
    except DigestMismatch:
        files.delete(team, object_key(digest))  # never leave wrong bytes at a content address
        raise
    if not present:
        problem = {"key": staged, "problem": "missing", "digest": digest}
        raise Conflict("1 file was not uploaded.", code="upload_incomplete", files=[problem])


def verify_objects(team: Team, version_id: int, entries: list[ManifestEntry], known) -> None:
    """The one place a version's bytes are checked: every object it does not share with a
    committed version (``known``: digest -> size) must be uploaded with its declared size and
    sha256; matching bytes move from staging to their content address.

    Raises Conflict ``upload_incomplete`` (missing or mis-sized, nothing read), Conflict
    ``digest_mismatch`` (listing each object's declared and found sha256; the wrong bytes are
    deleted, so they must be uploaded again), Conflict ``object_changed`` (overwritten while
    checked: commit again).
    """
    from ..storage import DigestMismatch, ObjectChanged

    unique = {e.digest: e.size for e in entries if e.digest not in known and e.ref is None}
    paths = _paths_by_digest(entries)
    where = _locate_uploads(team, version_id, unique, paths)
    mismatches = []
    for digest, size in unique.items():
        try:
            _check_one(team, version_id, digest, size, where[digest])
        except DigestMismatch as exc:
            mismatches.append(
                {
                    "key": staging_key(version_id, digest),
                    "problem": "digest",
                    "digest": digest,
                    "found": exc.found.get("md5" if digest.startswith("md5:") else "sha256"),
                    "paths": paths[digest],
                }
            )
        except ObjectChanged:
            raise Conflict(
                f"{digest} was overwritten while it was being checked; commit again.",
                code="object_changed",
                digest=digest,
            ) from None
    if mismatches:
        raise Conflict(
            f"{len(mismatches)} file(s) do not have the sha256 declared for them; the uploaded "
            "bytes were discarded. Upload the right files (ask for fresh upload URLs) and commit "
            "again.",
            code="digest_mismatch",
            files=mismatches,
        )


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
        unused = [
            d for d in sorted(digests - still_used) if not artifact_references.is_reference(d)
        ]
        for key in [object_key(d) for d in unused] + manifest_keys:
            files.delete(team, key)
    except (OutpostError, SQLAlchemyError) as exc:
        db.session.rollback()
        log.warning("artifact clean-up left objects behind", extra={"error": str(exc)})
        return
    db.session.commit()  # releases the lock
