"""Where a team's data lives: a bucket on the instance storage, or the team's own bucket.

Provisioning happens before the team row is committed; :func:`undo_provisioning` removes a
bucket this call created if the team then cannot be saved, so nothing half-made stays.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from ..errors import OutpostError, ValidationFailed

log = logging.getLogger(__name__)


@dataclass
class Placement:
    kind: str  # "internal" or "byob"
    bucket: str
    config: dict[str, Any] = field(default_factory=dict)
    credentials: str | None = None  # encrypted
    created: bool = False  # this call created the bucket


def instance_provider():
    """The instance's storage provider (built once per app from settings)."""
    from ..storage import get_provider

    provider = current_app.extensions.get("outpost_storage")
    if provider is None:
        from .storage_settings import instance_storage_settings

        provider = get_provider(instance_storage_settings())
        current_app.extensions["outpost_storage"] = provider
    return provider


def instance_storage_name() -> str:
    """The instance storage as an operator would name it: ``s3 at http://minio:9000``."""
    settings = current_app.config["OUTPOST"]
    if settings.storage_provider == "filesystem":
        return "filesystem storage"
    from .storage_settings import instance_storage_settings

    where = instance_storage_settings().effective_endpoint
    return f"{settings.storage_provider} storage at {where}"


def provision_for_new_team(slug: str, spec: Any) -> Placement:
    """Provision internal storage, or prove a BYOB bucket, for a team about to be created.

    Raises ValidationFailed for a bad storage spec, Forbidden (license) for BYOB without
    ``secure_storage_connector``, and :func:`provisioning_error` for storage failures.
    """
    if spec in (None, "internal"):
        return _provision_internal(slug)
    if isinstance(spec, dict):
        from .byob import prove_team_bucket

        return prove_team_bucket(slug, spec)
    raise ValidationFailed(
        "storage must be 'internal' or a bucket description.", code="invalid_storage"
    )


# What the caller of POST /teams can do about each storage failure decides the status: a
# name clash (409) is a conflict; an unreachable store is temporary (503); a store that
# refuses the server's own credentials is the server's problem, not the client's (502); one
# that does not answer in time is a gateway timeout (504).
_PROVISIONING_STATUS = {
    "storage_bucket_taken": 409,
    "storage_unavailable": 503,
    "storage_timeout": 504,
    "invalid_bucket_name": 422,
}


def provisioning_error(exc, slug: str, bucket: str) -> OutpostError:
    """The API error for a failed internal provisioning: the storage error's code, a message
    naming the team, the bucket and the storage, and the reason from the storage layer."""
    error = OutpostError(
        f"Team {slug!r} was not created: its bucket {bucket!r} could not be provisioned on the "
        f"instance's {instance_storage_name()}. {exc.message}",
        code=exc.code,
        bucket=bucket,
    )
    error.status = _PROVISIONING_STATUS.get(exc.code, 502)
    return error


def _provision_internal(slug: str) -> Placement:
    from ..storage import StorageError, bucket_name_for_team

    settings = current_app.config["OUTPOST"]
    bucket = bucket_name_for_team(settings.storage_bucket_prefix, slug)
    try:
        result = instance_provider().ensure_team_bucket(
            bucket, team_slug=slug, cors_origins=[settings.url.rstrip("/")]
        )
    except StorageError as exc:
        raise provisioning_error(exc, slug, bucket) from None
    return Placement(
        "internal",
        bucket,
        {"provider": settings.storage_provider},
        created=result.status == "created",
    )


def undo_provisioning(placement: Placement) -> None:
    """Remove the bucket this team creation made; a failure here is logged, not raised, so
    the error that stopped the creation is the one reported."""
    from ..storage import StorageError

    if placement.kind != "internal" or not placement.created:
        return
    try:
        instance_provider().delete_bucket(placement.bucket, purge=True)
    except StorageError as exc:
        log.error(
            "could not remove bucket %s after a failed team creation: %s", placement.bucket, exc
        )


def purge_team_storage(team) -> bool:
    """Empty and remove an internal bucket; a team's own (BYOB) bucket is never touched.

    Returns True when a bucket was removed. Raises StorageError when the storage refuses or
    cannot be reached (the caller keeps the team, to try again later).
    """
    if team.storage_kind != "internal" or not team.bucket:
        return False
    return instance_provider().delete_bucket(team.bucket, purge=True)
