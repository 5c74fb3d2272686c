"""Secure storage connector: a team on its own S3 or GCS bucket (enterprise).

Before the team exists, the endpoint and every URL inside the credentials (a service account's
``token_uri``...) are checked against the admin's allowlist (no request leaves the server
otherwise), then access is proven by writing, reading and deleting a probe
object. Credentials are sealed at rest and never returned.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app

from ..errors import Forbidden, OutpostError, ServiceUnavailable, ValidationFailed
from .licensing import require_feature
from .secret_box import seal
from .storage_settings import byob_storage_settings
from .team_storage import Placement

CONFIG_KEYS = ("provider", "prefix", "region", "kms_key_id", "endpoint")
CREDENTIAL_KEYS = {"s3": {"access_key", "secret_key"}, "gcs": {"service_account_json"}}
# Existing buckets may predate today's naming rules (dots, underscores, GCS's long names), so
# only what no provider accepts is refused here; the probe finds the rest.
BUCKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,220}[A-Za-z0-9]$")


def endpoint_allowlist() -> list[str]:
    """Endpoint patterns a system admin allows for team buckets."""
    from .system_settings import get_setting

    return list(get_setting("byob_endpoint_allowlist") or [])


def endpoint_refused(exc) -> Forbidden:
    return Forbidden(
        f"{exc.message} No request was sent to it.",
        code="endpoint_not_allowed",
    )


def _check_spec(spec: dict[str, Any]) -> dict[str, str] | None:
    """Validate the parts of a bucket description the probe cannot judge; return credentials."""
    provider = spec.get("provider")
    if provider not in ("s3", "gcs"):
        raise ValidationFailed("A team's own bucket must be on S3 or GCS.", code="invalid_storage")
    bucket = spec.get("bucket") or ""
    if not BUCKET_RE.match(bucket) or ".." in bucket:
        raise ValidationFailed(
            f"{bucket!r} is not a bucket name: use letters, digits, '.', '-' or '_'.",
            code="invalid_bucket_name",
        )
    credentials = spec.get("credentials") or None
    wrong = credentials is not None and (
        set(credentials) != CREDENTIAL_KEYS[provider] or not all(credentials.values())
    )
    if wrong:
        wanted = " and ".join(sorted(CREDENTIAL_KEYS[provider]))
        raise ValidationFailed(
            f"Credentials for a {provider} bucket are {wanted} (or none, to use the server's "
            "own identity).",
            code="invalid_credentials",
        )
    return credentials


def prove_team_bucket(slug: str, spec: dict[str, Any]) -> Placement:
    """Check license, allowlist, then probe the bucket; return where the team will live.

    Raises Forbidden (``license_required``, ``endpoint_not_allowed``), ValidationFailed
    (bad description, or ``bucket_verification_failed`` with the storage error's code as
    ``reason``), ServiceUnavailable (``storage_unavailable``: the endpoint could not be
    reached, 503; ``storage_timeout``: it did not answer in time, 504).
    """
    from ..storage import EndpointNotAllowed, StorageConfigError, check_connection_allowed

    require_feature("secure_storage_connector")
    credentials = _check_spec(spec)
    config = {key: spec.get(key) or "" for key in CONFIG_KEYS}
    try:
        settings = byob_storage_settings(config, credentials)
    except StorageConfigError as exc:
        raise ValidationFailed(str(exc), code="invalid_storage") from None
    allowlist = endpoint_allowlist()
    try:
        check_connection_allowed(settings, allowlist)  # the endpoint and the credentials' URLs
    except EndpointNotAllowed as exc:
        raise endpoint_refused(exc) from None
    except StorageConfigError as exc:
        raise ValidationFailed(str(exc), code="invalid_credentials") from None
    report = _probe(settings, spec["bucket"], config["prefix"], allowlist)
    config["warnings"] = list(report.warnings)
    sealed = seal(credentials) if credentials else None
    return Placement("byob", spec["bucket"], config, credentials=sealed, created=False)


def _probe(settings, bucket: str, prefix: str, allowlist: list[str]):
    from ..storage import StorageError, StorageUnavailable, get_provider

    origin = current_app.config["OUTPOST"].url.rstrip("/")
    where = f"bucket {bucket!r} at {settings.effective_endpoint}"
    try:
        provider = get_provider(settings, endpoint_allowlist=allowlist)
        return provider.probe_access(bucket, prefix=prefix, cors_origins=[origin])
    except StorageUnavailable as exc:
        error = ServiceUnavailable(
            f"The team was not created: {where} did not answer. {exc.message}", code=exc.code
        )
        error.status = exc.http_status  # 503, or 504 when it did not answer in time
        raise error from None
    except StorageError as exc:
        raise _verification_failed(exc, where) from None


def _verification_failed(exc, where: str) -> OutpostError:
    return ValidationFailed(
        f"The team was not created: {where} could not be verified (write, read and delete of a "
        f"probe object). {exc.message}",
        code="bucket_verification_failed",
        reason=exc.code,
    )
