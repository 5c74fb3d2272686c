"""Artifact versions: create (with the manifest) → upload → commit, edit and delete.

Version numbers come from a counter on the collection, bumped under its row lock, so
concurrent writers never get the same number and numbers are never reused. ``latest`` is the
highest-numbered committed version, so it moves by itself when a newer version commits and
falls back when the newest is deleted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock
from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import ArtifactCollection, ArtifactFile, ArtifactVersion
from . import artifact_files, audit
from .artifacts import (
    RUN_ID_RE,
    check_metadata,
    check_name,
    put_alias,
    refuse_if_linked,
    stored_objects,
    validate_alias,
)


def _next_number(collection: ArtifactCollection) -> int:
    """Take the collection's next version number; the UPDATE holds its row lock until commit."""
    db.session.execute(
        update(ArtifactCollection)
        .where(ArtifactCollection.id == collection.id)
        .values(next_version=ArtifactCollection.next_version + 1)
        .execution_options(synchronize_session=False)
    )
    taken = db.session.scalar(
        select(ArtifactCollection.next_version).where(ArtifactCollection.id == collection.id)
    )
    return taken - 1


def create_version(
    actor,
    collection: ArtifactCollection,
    manifest: list[tuple[str, str, int]],
    *,
    metadata: dict[str, Any] | None = None,
    description: str = "",
    run_id: str | None = None,
    max_file_bytes: int = artifact_files.MAX_FILE_BYTES,
) -> tuple[ArtifactVersion, list[dict[str, Any]]]:
    """Create a pending version with its manifest; return it with pre-signed uploads for the
    objects the team does not hold yet. Raises ValidationFailed for a bad manifest, metadata or
    run id; storage errors as 502/503 (nothing is kept)."""
    entries = artifact_files.validate_manifest(manifest, max_file_bytes)
    metadata = check_metadata(metadata)
    if run_id is not None:
        check_name(RUN_ID_RE, run_id, "invalid_run_id", "run id")
    team = collection.project.team
    try:
        artifact_files.lock_team_objects(team)
        known = artifact_files.committed_sizes(team.id, [e.digest for e in entries])
        artifact_files.check_known_sizes(entries, known)
        version = ArtifactVersion(
            team_id=team.id,
            collection_id=collection.id,
            version=_next_number(collection),
            state="pending",
            meta=metadata,
            description=description,
            run_id=run_id,
            digest=artifact_files.manifest_digest(entries),
            size=sum(e.size for e in entries),
            file_count=len(entries),
            created_by_id=actor.id,
        )
        set_committed_value(version, "collection", collection)
        db.session.add(version)
        db.session.flush()
        if entries:
            db.session.execute(
                insert(ArtifactFile),
                [{"team_id": team.id, "version_id": version.id, **vars(e)} for e in entries],
            )
        uploads = artifact_files.upload_plan(team, version.id, entries, skip=set(known))
        audit.record(
            "artifact_version:create",
            target=version,
            details={"files": len(entries), "size": version.size, "uploads": len(uploads)},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return version, uploads


def manifest_entries(version: ArtifactVersion) -> list[artifact_files.ManifestEntry]:
    rows = db.session.execute(
        select(
            ArtifactFile.path,
            ArtifactFile.digest,
            ArtifactFile.size,
            ArtifactFile.ref,
            ArtifactFile.ref_digest,
        )
        .where(ArtifactFile.version_id == version.id)
        .order_by(ArtifactFile.path)
    )
    return [artifact_files.ManifestEntry(*row) for row in rows]


def pending_uploads(version: ArtifactVersion) -> list[dict[str, Any]]:
    """Fresh pre-signed uploads for the objects of a pending version not in the bucket yet.
    Raises Conflict ``version_already_committed``."""
    if version.state == "committed":
        raise Conflict(f"{version.name} is committed already.", code="version_already_committed")
    team = version.collection.project.team
    entries = manifest_entries(version)
    digests = [e.digest for e in entries]
    known = set(artifact_files.committed_sizes(team.id, digests))
    stored = artifact_files.stored_digests(team, version.id, set(digests) - known)
    return artifact_files.upload_plan(team, version.id, entries, skip=known | stored)


def _lock_version(version: ArtifactVersion) -> ArtifactVersion:
    locked = db.session.scalar(
        select(ArtifactVersion)
        .where(ArtifactVersion.id == version.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound(f"{version.name} was deleted.", code="version_not_found")
    return locked


def _verify_uploads(team, version: ArtifactVersion, staging: str | None) -> None:
    """Check the bytes of every object the version does not share with a committed version,
    moving them from staging to their content address (``artifact_files.verify_objects``).

    Runs before any lock is taken, and ends the current transaction first: streaming a large
    file through the digest check may take minutes."""
    entries = manifest_entries(version)
    known = artifact_files.committed_sizes(team.id, [e.digest for e in entries])
    where = staging or version.id
    db.session.commit()
    artifact_files.verify_objects(team, where, entries, known)


def commit_version(
    actor, version: ArtifactVersion, aliases: list[str] = (), staging: str | None = None
) -> ArtifactVersion:
    """Check that every object arrived with its declared size and digest, write the manifest
    object and commit the version (``latest`` moves to it when it is the newest); set
    ``aliases`` too. A committed version's bytes never change. ``staging`` names where a door
    that uploads before the version exists put the bytes (default: the version's own staging).

    Idempotent for a committed version. Raises Conflict ``upload_incomplete`` naming what is
    missing, Conflict ``digest_mismatch`` naming files whose bytes differ (the version stays
    pending either way), ValidationFailed for a bad alias.
    """
    aliases = sorted({validate_alias(a) for a in aliases})
    collection = version.collection
    team = collection.project.team
    if version.state != "committed":
        _verify_uploads(team, version, staging)
    try:
        version = _lock_version(version)
        if version.state != "committed":
            entries = manifest_entries(version)
            key = artifact_files.manifest_key(collection.id, version.version)
            header = {
                "team": team.slug,
                "project": collection.project.name,
                "artifact": collection.name,
                "type": collection.type,
                "version": version.label,
                "digest": version.digest,
            }
            artifact_files.write_manifest(team, key, header, entries)
            version.state, version.manifest_key = "committed", key
            version.committed_at = clock.now()
            audit.record("artifact_version:commit", target=version, details={"aliases": aliases})
        for alias in aliases:
            put_alias(actor, collection, version, alias, replace=True)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return version


def update_version(version: ArtifactVersion, changes: dict[str, Any]) -> ArtifactVersion:
    """Replace metadata and/or description."""
    if "metadata" in changes:
        version.meta = check_metadata(changes["metadata"])
    if changes.get("description") is not None:
        version.description = changes["description"]
    audit.record("artifact_version:update", target=version, details={"fields": sorted(changes)})
    db.session.commit()
    return version


def delete_version(version: ArtifactVersion) -> None:
    """Delete a version (pending or committed) with its aliases; ``latest`` falls back to the
    previous committed version. Raises Conflict ``artifact_version_linked``."""
    ids = [version.id]
    refuse_if_linked(ids)
    digests, keys = stored_objects(ids)
    team = version.collection.project.team
    audit.record("artifact_version:delete", target=version, details={"state": version.state})
    db.session.execute(delete(ArtifactVersion).where(ArtifactVersion.id == version.id))
    db.session.commit()
    artifact_files.release_objects(team, digests, keys)
