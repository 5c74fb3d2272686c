"""Where a team's data lives: a bucket on the instance storage, or the team's own bucket.

Provisioning happens before the team row is committed; :func:`undo_provisioning` removes a
bucket this call created if the team then cannot be saved, so nothing half-made stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from ..errors import ServiceUnavailable, ValidationFailed


@dataclass
class Placement:
    kind: str  # "internal" or "byob"
    bucket: str
    config: dict[str, Any] = field(default_factory=dict)
    credentials: str | None = None  # encrypted
    created: bool = False  # this call created the bucket


def instance_provider():
    """The instance's storage provider (built once per app from settings)."""
    from ..storage import StorageError, get_provider  # noqa: F401

    provider = current_app.extensions.get("outpost_storage")
    if provider is None:
        from .storage_settings import instance_storage_settings

        provider = get_provider(instance_storage_settings())
        current_app.extensions["outpost_storage"] = provider
    return provider


def provision_for_new_team(slug: str, spec: Any) -> Placement:
    """Provision internal storage, or prove a BYOB bucket, for a team about to be created.

    Raises ValidationFailed for a bad storage spec, Forbidden (license) for BYOB without
    ``secure_storage_connector``, ServiceUnavailable when storage cannot be reached.
    """
    if spec in (None, "internal"):
        return _provision_internal(slug)
    if isinstance(spec, dict):
        from .byob import prove_team_bucket

        return prove_team_bucket(slug, spec)
    raise ValidationFailed(
        "storage must be 'internal' or a bucket description.", code="invalid_storage"
    )


def _provision_internal(slug: str) -> Placement:
    from ..storage import StorageError, bucket_name_for_team

    settings = current_app.config["OUTPOST"]
    bucket = bucket_name_for_team(settings.storage_bucket_prefix, slug)
    try:
        result = instance_provider().ensure_team_bucket(
            bucket, team_slug=slug, cors_origins=[settings.url.rstrip("/")]
        )
    except StorageError as exc:
        raise ServiceUnavailable(
            f"The team's bucket {bucket!r} could not be provisioned: {exc}. The team was not "
            "created.",
            code="storage_provisioning_failed",
        ) from None
    return Placement(
        "internal",
        bucket,
        {"provider": settings.storage_provider},
        created=result.status == "created",
    )


def undo_provisioning(placement: Placement) -> None:
    if placement.kind == "internal" and placement.created:
        instance_provider().delete_bucket(placement.bucket, purge=True)


def purge_team_storage(team) -> None:
    """Empty and remove an internal bucket; a team's own (BYOB) bucket is never touched."""
    if team.storage_kind == "internal" and team.bucket:
        instance_provider().delete_bucket(team.bucket, purge=True)
