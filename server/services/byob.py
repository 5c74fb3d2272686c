"""Secure storage connector: a team on its own S3 or GCS bucket (enterprise).

Before the team exists, the endpoint is checked against the admin's allowlist (no request
leaves the server otherwise), then access is proven by writing, reading and deleting a probe
object. Credentials are sealed at rest and never returned.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..errors import Forbidden, ServiceUnavailable, ValidationFailed
from .licensing import require_feature
from .secret_box import seal
from .storage_settings import byob_storage_settings
from .team_storage import Placement

CONFIG_KEYS = ("provider", "prefix", "region", "kms_key_id", "endpoint")


def endpoint_allowlist() -> list[str]:
    """Endpoint patterns a system admin allows for team buckets."""
    from .system_settings import get_setting

    return list(get_setting("byob_endpoint_allowlist") or [])


def prove_team_bucket(slug: str, spec: dict[str, Any]) -> Placement:
    """Check allowlist, then probe the bucket; return where the team will live.

    Raises Forbidden (license or endpoint not allowed), ValidationFailed (bad spec or the
    bucket refused the probe, with the reason), ServiceUnavailable (endpoint unreachable).
    """
    from ..storage import (
        EndpointNotAllowed,
        StorageConfigError,
        StorageError,
        StorageUnavailable,
        check_endpoint_allowed,
        get_provider,
    )

    require_feature("secure_storage_connector")
    if spec.get("provider") not in ("s3", "gcs"):
        raise ValidationFailed("A team's own bucket must be on S3 or GCS.", code="invalid_storage")
    config = {key: spec.get(key) or "" for key in CONFIG_KEYS}
    credentials = spec.get("credentials") or None
    try:
        settings = byob_storage_settings(config, credentials)
    except StorageConfigError as exc:
        raise ValidationFailed(str(exc), code="invalid_storage") from None
    try:
        check_endpoint_allowed(settings.effective_endpoint, endpoint_allowlist())
    except EndpointNotAllowed as exc:
        raise Forbidden(
            f"{exc} A system admin can allow it in the BYOB endpoint allowlist.",
            code="endpoint_not_allowed",
        ) from None
    origin = current_app.config["OUTPOST"].url.rstrip("/")
    try:
        report = get_provider(settings).probe_access(
            spec["bucket"], prefix=config["prefix"], cors_origins=[origin]
        )
    except StorageUnavailable as exc:
        raise ServiceUnavailable(
            f"The bucket's endpoint did not answer: {exc}", code="storage_unreachable"
        ) from None
    except StorageError as exc:
        raise ValidationFailed(
            f"The bucket could not be verified: {exc}",
            code="bucket_verification_failed",
            reason=type(exc).__name__,
        ) from None
    config["warnings"] = list(report.warnings)
    sealed = seal(credentials) if credentials else None
    return Placement("byob", spec["bucket"], config, credentials=sealed, created=False)
