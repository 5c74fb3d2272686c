"""Storage settings: one dataclass for the instance provider and for per-team BYOB connections."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .endpoints import default_endpoint
from .errors import StorageConfigError

PROVIDERS = ("filesystem", "s3", "minio", "gcs")

ENV_VARS = {
    "provider": "OUTPOST_STORAGE_PROVIDER",
    "endpoint": "OUTPOST_STORAGE_ENDPOINT",
    "region": "OUTPOST_STORAGE_REGION",
    "access_key": "OUTPOST_STORAGE_ACCESS_KEY",
    "secret_key": "OUTPOST_STORAGE_SECRET_KEY",
    "bucket_prefix": "OUTPOST_STORAGE_BUCKET_PREFIX",
}


@dataclass(frozen=True)
class StorageSettings:
    """How to reach one object store.

    The same class describes the instance storage (from environment variables) and a team's own
    bucket connection (from the encrypted connector record); only the fields a provider uses
    matter to it. Secrets are left out of ``repr``.
    """

    provider: str = "filesystem"
    endpoint: str | None = None  # S3-compatible URL, or GCS API endpoint / emulator URL
    region: str | None = None  # S3 region; GCS location used when creating buckets
    access_key: str | None = None  # S3 access key id
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    kms_key_id: str | None = None  # S3: applied as SSE-KMS on every write, incl. pre-signed PUTs
    bucket_prefix: str = "outpost"
    # Set False for BYOB connections: never fall back to the server's own (environment or
    # instance-identity) credentials when the connection has none of its own.
    ambient_credentials: bool = True
    addressing_style: str = "auto"  # S3: "auto", "path" or "virtual"; "path" for custom endpoints
    public_url: str | None = None  # base URL put into pre-signed URLs, when it differs
    verify_tls: bool | str = True  # False, or a CA bundle path for private endpoints
    # GCS
    project: str | None = None
    credentials_info: Mapping[str, Any] | None = field(default=None, repr=False)
    credentials_file: str | None = None
    anonymous: bool = False  # GCS emulator without auth; implied by STORAGE_EMULATOR_HOST
    # filesystem
    root_dir: str | None = None
    signing_secret: str | bytes | None = field(default=None, repr=False)
    max_upload_bytes: int | None = None  # filesystem: cap when a PUT URL names no size
    # network behaviour: short, so an unreachable or hanging endpoint fails in seconds
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    max_attempts: int = 2

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise StorageConfigError(
                f"Unknown storage provider {self.provider!r}; use one of {', '.join(PROVIDERS)}."
            )

    @property
    def effective_endpoint(self) -> str | None:
        """The endpoint requests go to (None for the filesystem); used by the allowlist check."""
        if self.provider == "filesystem":
            return None
        if self.endpoint:
            return self.endpoint
        if self.provider == "gcs" and os.environ.get("STORAGE_EMULATOR_HOST"):
            return os.environ["STORAGE_EMULATOR_HOST"]
        return default_endpoint("gcs" if self.provider == "gcs" else "s3", self.region)


def settings_from_env(
    environ: Mapping[str, str] | None = None, **overrides: Any
) -> StorageSettings:
    """Build instance settings from the ``OUTPOST_STORAGE_*`` variables plus ``overrides``.

    Empty variables count as unset. Raises StorageConfigError for an unknown provider.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, var in ENV_VARS.items():
        if environ.get(var):
            values[name] = environ[var].strip()
    if "provider" in values:
        values["provider"] = values["provider"].lower()
    values.update(overrides)
    return StorageSettings(**values)


def connector_settings(
    provider: str,
    *,
    region: str | None = None,
    endpoint: str | None = None,
    kms_key_id: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    credentials_info: Mapping[str, Any] | str | None = None,
    **extra: Any,
) -> StorageSettings:
    """Settings for a team's own bucket (secure storage connector): S3 or GCS only.

    Never falls back to the server's own credentials. Raises StorageConfigError for another
    provider or for a KMS key on GCS.
    """
    if provider not in ("s3", "gcs"):
        raise StorageConfigError("A team's own bucket must be on S3 (or S3-compatible) or GCS.")
    if provider == "gcs" and kms_key_id:
        raise StorageConfigError("A KMS key can only be set for S3 buckets.")
    return StorageSettings(
        provider=provider,
        region=region,
        endpoint=endpoint,
        kms_key_id=kms_key_id,
        access_key=access_key,
        secret_key=secret_key,
        credentials_info=credentials_info,
        ambient_credentials=False,
        **extra,
    )
