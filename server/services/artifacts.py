"""Artifacts: collections in a project, and finding their versions, files and aliases.

Creating, committing and deleting versions is in :mod:`.artifact_versions`, the alias API in
:mod:`.artifact_aliases`, the bucket side (content-addressed objects, manifests, clean-up) in
:mod:`.artifact_files`. ``latest`` is not stored: it is always the highest-numbered committed
version. File bytes go straight between the client and the team's bucket.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

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
from . import artifact_files, artifact_references, audit

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


def check_name(pattern: re.Pattern, value: str, code: str, what: str) -> str:
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
    check_name(NAME_RE, name, "invalid_artifact_name", "artifact name")
    check_name(TYPE_RE, type_, "invalid_artifact_type", "artifact type")
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


def refuse_if_linked(version_ids) -> None:
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


def stored_objects(version_ids) -> tuple[set[str], list[str]]:
    """The digests the versions refer to, and the keys only they own: their manifests and the
    staging objects of pending ones (read before the versions are deleted)."""
    staged = db.session.execute(
        select(ArtifactFile.version_id, ArtifactFile.digest)
        .join(ArtifactVersion, ArtifactVersion.id == ArtifactFile.version_id)
        .where(ArtifactVersion.id.in_(version_ids), ArtifactVersion.state == "pending")
        .distinct()
    )
    staging = [
        artifact_files.staging_key(vid, digest)
        for vid, digest in staged
        if not artifact_references.is_reference(digest)
    ]
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
    return digests, list(keys) + staging


def delete_collection(collection: ArtifactCollection) -> None:
    """Delete an artifact with all its versions; their objects go unless still shared.
    Raises Conflict ``artifact_version_linked`` while a registered model links a version."""
    ids = select(ArtifactVersion.id).where(ArtifactVersion.collection_id == collection.id)
    refuse_if_linked(ids)
    digests, keys = stored_objects(ids)
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


def grouped_aliases(owner_column, alias_column, owner_ids: list[int]) -> dict[int, list[str]]:
    """Owner id → its aliases, sorted, for every id in ``owner_ids`` (one query)."""
    found: dict[int, list[str]] = {owner_id: [] for owner_id in owner_ids}
    if owner_ids:
        rows = db.session.execute(
            select(owner_column, alias_column)
            .where(owner_column.in_(owner_ids))
            .order_by(alias_column)
        )
        for owner_id, alias in rows:
            found[owner_id].append(alias)
    return found


def aliases_of(version_ids: list[int]) -> dict[int, list[str]]:
    """Artifact version id → its user aliases, sorted (one query)."""
    return grouped_aliases(ArtifactAlias.version_id, ArtifactAlias.alias, version_ids)


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


def put_alias(actor, collection, version, alias: str, *, replace: bool) -> int | None:
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
    flush_alias(alias)
    return previous


def flush_alias(alias: str) -> None:
    """Write an alias just set; a request that created the same alias at the same moment
    wins the unique index, and this one is 409 ``alias_taken`` instead of a 500."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            f"{alias!r} was set by another request at the same time; try again.",
            code="alias_taken",
        ) from None
