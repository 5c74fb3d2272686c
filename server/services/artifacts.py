"""Artifacts: collections in a project, versions (create → upload → commit), metadata, aliases.

Versions are numbered v0, v1, … from a counter on the collection, bumped under a row lock, so
concurrent writers never get the same number and numbers are never reused. ``latest`` is not
stored: it is always the highest-numbered committed version. File bytes go straight between the
client and the team's bucket (:mod:`.artifact_files`); the server only signs URLs and checks.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import (
    ArtifactAlias,
    ArtifactCollection,
    ArtifactFile,
    ArtifactVersion,
    ModelVersion,
    Project,
    RegisteredModel,
)
from . import artifact_files, audit

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
TYPE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ALIAS_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
VERSION_RE = re.compile(r"^v(\d{1,9})$")
RUN_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
LATEST = "latest"
MAX_METADATA_BYTES = 64 * 1024


# --- validation shared with the registry -------------------------------------------------


def validate_alias(alias: str) -> str:
    """An alias a user may set. Raises ValidationFailed ``alias_reserved`` for ``latest`` and
    ``invalid_alias`` for anything else that is not a short name (or looks like ``v3``)."""
    if alias == LATEST:
        raise ValidationFailed(
            "'latest' always names the newest version; it cannot be set or removed by hand.",
            code="alias_reserved",
        )
    if not ALIAS_RE.match(alias or "") or VERSION_RE.match(alias):
        raise ValidationFailed(
            f"{alias!r} is not a valid alias: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, and not of the form v<number>.",
            code="invalid_alias",
        )
    return alias


def check_metadata(value: dict[str, Any] | None) -> dict[str, Any]:
    """Plain JSON of at most 64 KiB. Raises ValidationFailed ``invalid_metadata`` or
    ``metadata_too_large``."""
    if value is None:
        return {}
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "metadata must be a plain JSON object (no NaN or Infinity).", code="invalid_metadata"
        ) from None
    if len(text.encode()) > MAX_METADATA_BYTES:
        raise ValidationFailed(
            f"metadata is larger than {MAX_METADATA_BYTES // 1024} KiB.", code="metadata_too_large"
        )
    return value


def _check(pattern: re.Pattern, value: str, code: str, what: str) -> str:
    if not pattern.match(value or ""):
        raise ValidationFailed(
            f"{value!r} is not a valid {what}: use letters, digits, '.', '_' or '-', starting "
            "with a letter or digit.",
            code=code,
        )
    return value


# --- collections ---------------------------------------------------------------------------


def load_collection(project: Project, name: str) -> ArtifactCollection:
    """The artifact ``name`` of ``project``; NotFound (``artifact_not_found``) otherwise."""
    row = db.session.scalar(
        select(ArtifactCollection).where(
            ArtifactCollection.project_id == project.id, ArtifactCollection.name == name
        )
    )
    if row is None:
        raise NotFound(f"No artifact named {name!r} in {project.name}.", code="artifact_not_found")
    set_committed_value(row, "project", project)
    return row


def collections_query(project: Project, type_: str | None = None):
    stmt = (
        select(ArtifactCollection)
        .where(ArtifactCollection.project_id == project.id)
        .options(selectinload(ArtifactCollection.created_by))
    )
    if type_:
        stmt = stmt.where(ArtifactCollection.type == type_)
    return stmt


def latest_numbers(collection_ids: list[int]) -> dict[int, int]:
    """Collection id → number of its newest committed version (one query)."""
    if not collection_ids:
        return {}
    stmt = (
        select(ArtifactVersion.collection_id, func.max(ArtifactVersion.version))
        .where(
            ArtifactVersion.collection_id.in_(collection_ids),
            ArtifactVersion.state == "committed",
        )
        .group_by(ArtifactVersion.collection_id)
    )
    return {cid: top for cid, top in db.session.execute(stmt)}


def create_collection(
    actor, project: Project, name: str, type_: str, description: str = ""
) -> ArtifactCollection:
    """Raises ValidationFailed for a bad name or type, Conflict ``artifact_exists``."""
    _check(NAME_RE, name, "invalid_artifact_name", "artifact name")
    _check(TYPE_RE, type_, "invalid_artifact_type", "artifact type")
    taken = Conflict(
        f"{project.name} already has an artifact named {name!r}.", code="artifact_exists"
    )
    if db.session.scalar(
        select(ArtifactCollection.id).where(
            ArtifactCollection.project_id == project.id, ArtifactCollection.name == name
        )
    ):
        raise taken
    collection = ArtifactCollection(
        team_id=project.team_id,
        project_id=project.id,
        name=name,
        type=type_,
        description=description,
        created_by_id=actor.id,
    )
    set_committed_value(collection, "project", project)
    db.session.add(collection)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise taken from None
    audit.record(
        "artifact:create", target=collection, details={"project": project.name, "type": type_}
    )
    db.session.commit()
    return collection


def update_collection(collection: ArtifactCollection, description: str | None) -> None:
    if description is not None:
        collection.description = description
    audit.record("artifact:update", target=collection, details={"fields": ["description"]})
    db.session.commit()


def _refuse_if_linked(version_ids) -> None:
    """Conflict ``artifact_version_linked`` when registered models link any of these."""
    rows = db.session.execute(
        select(RegisteredModel.name, ModelVersion.version)
        .join(RegisteredModel, RegisteredModel.id == ModelVersion.model_id)
        .where(ModelVersion.artifact_version_id.in_(version_ids))
        .order_by(RegisteredModel.name, ModelVersion.version)
        .limit(20)
    ).all()
    if rows:
        links = [f"{name}:v{number}" for name, number in rows]
        raise Conflict(
            f"Linked in the model registry as {', '.join(links)}; unlink it there first.",
            code="artifact_version_linked",
            models=links,
        )


def _stored_objects(version_ids) -> tuple[set[str], list[str]]:
    digests = set(
        db.session.scalars(
            select(ArtifactFile.digest).where(ArtifactFile.version_id.in_(version_ids)).distinct()
        )
    )
    keys = db.session.scalars(
        select(ArtifactVersion.manifest_key).where(
            ArtifactVersion.id.in_(version_ids), ArtifactVersion.manifest_key != ""
        )
    )
    return digests, list(keys)


def delete_collection(collection: ArtifactCollection) -> None:
    """Delete an artifact with all its versions; their objects go unless still shared.
    Raises Conflict ``artifact_version_linked`` while a registered model links a version."""
    ids = select(ArtifactVersion.id).where(ArtifactVersion.collection_id == collection.id)
    _refuse_if_linked(ids)
    digests, keys = _stored_objects(ids)
    team = collection.project.team
    audit.record("artifact:delete", target=collection, details={"project": collection.project.name})
    db.session.execute(delete(ArtifactCollection).where(ArtifactCollection.id == collection.id))
    db.session.commit()
    artifact_files.release_objects(team, digests, keys)


# --- versions ------------------------------------------------------------------------------


def resolve_version(collection: ArtifactCollection, ref: str) -> ArtifactVersion:
    """``v3``, ``latest`` or an alias → the version. NotFound ``version_not_found``."""
    stmt = select(ArtifactVersion).where(ArtifactVersion.collection_id == collection.id)
    number = VERSION_RE.match(ref or "")
    if number:
        stmt = stmt.where(ArtifactVersion.version == int(number[1]))
    elif ref == LATEST:
        stmt = stmt.where(ArtifactVersion.state == "committed")
        stmt = stmt.order_by(ArtifactVersion.version.desc()).limit(1)
    else:
        stmt = stmt.join(ArtifactAlias, ArtifactAlias.version_id == ArtifactVersion.id).where(
            ArtifactAlias.alias == ref
        )
    version = db.session.scalar(stmt)
    if version is None:
        raise NotFound(
            f"{collection.name} has no version or alias {ref!r}.", code="version_not_found"
        )
    set_committed_value(version, "collection", collection)
    return version


def versions_query(collection: ArtifactCollection, *, state=None, run_id=None):
    stmt = (
        select(ArtifactVersion)
        .where(ArtifactVersion.collection_id == collection.id)
        .options(selectinload(ArtifactVersion.created_by))
    )
    if state:
        stmt = stmt.where(ArtifactVersion.state == state)
    if run_id:
        stmt = stmt.where(ArtifactVersion.run_id == run_id)
    return stmt


def aliases_of(version_ids: list[int]) -> dict[int, list[str]]:
    """Version id → its user aliases, sorted (one query)."""
    found: dict[int, list[str]] = {vid: [] for vid in version_ids}
    if version_ids:
        rows = db.session.execute(
            select(ArtifactAlias.version_id, ArtifactAlias.alias)
            .where(ArtifactAlias.version_id.in_(version_ids))
            .order_by(ArtifactAlias.alias)
        )
        for version_id, alias in rows:
            found[version_id].append(alias)
    return found


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
) -> tuple[ArtifactVersion, list[dict[str, Any]]]:
    """Create a pending version with its manifest; return it with pre-signed uploads for the
    objects the team does not hold yet. Raises ValidationFailed for a bad manifest, metadata or
    run id; storage errors as 502/503 (nothing is kept)."""
    entries = artifact_files.validate_manifest(manifest)
    metadata = check_metadata(metadata)
    if run_id is not None:
        _check(RUN_ID_RE, run_id, "invalid_run_id", "run id")
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
        uploads = artifact_files.upload_plan(team, entries, skip=set(known))
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
        select(ArtifactFile.path, ArtifactFile.digest, ArtifactFile.size)
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
    stored = artifact_files.stored_digests(team, [e.digest for e in entries])
    return artifact_files.upload_plan(team, entries, skip=stored)


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


def commit_version(actor, version: ArtifactVersion, aliases: list[str] = ()) -> ArtifactVersion:
    """Check that every object arrived with its declared size, write the manifest object and
    commit the version (``latest`` moves to it when it is the newest); set ``aliases`` too.

    Idempotent for a committed version. Raises Conflict ``upload_incomplete`` naming what is
    missing (the version stays pending), ValidationFailed for a bad alias.
    """
    aliases = sorted({validate_alias(a) for a in aliases})
    collection = version.collection
    team = collection.project.team
    try:
        version = _lock_version(version)
        if version.state != "committed":
            entries = manifest_entries(version)
            artifact_files.verify_objects(team, entries)
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
            _put_alias(actor, collection, version, alias, replace=True)
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
    _refuse_if_linked(ids)
    digests, keys = _stored_objects(ids)
    team = version.collection.project.team
    audit.record("artifact_version:delete", target=version, details={"state": version.state})
    db.session.execute(delete(ArtifactVersion).where(ArtifactVersion.id == version.id))
    db.session.commit()
    artifact_files.release_objects(team, digests, keys)


def files_query(version: ArtifactVersion):
    return select(ArtifactFile).where(ArtifactFile.version_id == version.id)


def require_committed(version: ArtifactVersion) -> ArtifactVersion:
    if version.state != "committed":
        raise Conflict(
            f"{version.name} is pending: commit it before downloading or linking it.",
            code="version_not_committed",
        )
    return version


# --- aliases -------------------------------------------------------------------------------


def _put_alias(actor, collection, version, alias: str, *, replace: bool) -> int | None:
    """Point ``alias`` at ``version``; return the number it was on before (None if new)."""
    require_committed(version)
    row = db.session.scalar(
        select(ArtifactAlias)
        .where(ArtifactAlias.collection_id == collection.id, ArtifactAlias.alias == alias)
        .options(selectinload(ArtifactAlias.version))
        .with_for_update()
    )
    if row is not None and row.version_id == version.id:
        return version.version
    if row is not None and not replace:
        raise Conflict(
            f"{alias!r} is on {row.version.label}; send replace=true to move it.",
            code="alias_taken",
            version=row.version.label,
        )
    previous = row.version.version if row is not None else None
    version_id, actor_id = version.id, actor.id  # read first: a refresh must not autoflush
    if row is None:
        row = ArtifactAlias(collection_id=collection.id, alias=alias, version_id=version_id)
        db.session.add(row)
    row.version_id, row.created_by_id = version_id, actor_id
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            f"{alias!r} was set by another request at the same time; try again.",
            code="alias_taken",
        ) from None
    return previous


def set_alias(actor, collection, alias: str, ref: str, *, replace: bool = True) -> dict[str, Any]:
    """Set or move a user alias. Raises ValidationFailed (bad or reserved alias), NotFound
    ``version_not_found``, Conflict ``version_not_committed`` / ``alias_taken``."""
    validate_alias(alias)
    version = resolve_version(collection, ref)
    previous = _put_alias(actor, collection, version, alias, replace=replace)
    audit.record(
        "artifact_alias:set",
        target=collection,
        details={"alias": alias, "version": version.label, "previous": previous},
    )
    db.session.commit()
    return {"alias": alias, "version": version.label, "previous": _label(previous)}


def _label(number: int | None) -> str | None:
    return None if number is None else f"v{number}"


def get_alias(collection, alias: str) -> dict[str, Any]:
    """The version an alias (or ``latest``) names. NotFound ``alias_not_found``."""
    if alias == LATEST:
        number = latest_numbers([collection.id]).get(collection.id)
        if number is None:
            raise NotFound(f"{collection.name} has no committed version.", code="alias_not_found")
        return {"alias": LATEST, "version": f"v{number}", "automatic": True}
    return {"alias": alias, "version": _load_alias(collection, alias).version.label}


def _load_alias(collection, alias: str) -> ArtifactAlias:
    row = db.session.scalar(
        select(ArtifactAlias)
        .where(ArtifactAlias.collection_id == collection.id, ArtifactAlias.alias == alias)
        .options(selectinload(ArtifactAlias.version))
    )
    if row is None:
        raise NotFound(f"{collection.name} has no alias {alias!r}.", code="alias_not_found")
    return row


def delete_alias(collection, alias: str) -> None:
    """Remove a user alias. Raises ValidationFailed ``alias_reserved`` for ``latest``."""
    if alias == LATEST:
        validate_alias(alias)
    row = _load_alias(collection, alias)
    audit.record(
        "artifact_alias:delete",
        target=collection,
        details={"alias": alias, "version": row.version.label},
    )
    db.session.delete(row)
    db.session.commit()


def aliases_query(collection):
    return (
        select(ArtifactAlias)
        .where(ArtifactAlias.collection_id == collection.id)
        .options(selectinload(ArtifactAlias.version))
    )
