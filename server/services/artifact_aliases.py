"""Artifact aliases: user names for committed versions, unique per artifact and movable.

``latest`` is not an alias row: it is worked out from the versions and cannot be set or removed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..errors import NotFound
from ..extensions import db
from ..models import ArtifactAlias
from . import audit
from .artifacts import LATEST, latest_numbers, put_alias, resolve_version, validate_alias


def set_alias(actor, collection, alias: str, ref: str, *, replace: bool = True) -> dict[str, Any]:
    """Set or move a user alias. Raises ValidationFailed (bad or reserved alias), NotFound
    ``version_not_found``, Conflict ``version_not_committed`` / ``alias_taken``."""
    validate_alias(alias)
    version = resolve_version(collection, ref)
    previous = put_alias(actor, collection, version, alias, replace=replace)
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
