"""Storage settings for the server: the instance provider from configuration, and a team's own
bucket (BYOB) from its connector record."""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..config import data_dir


def _network_settings() -> dict[str, Any]:
    """Timeouts and attempts for every storage request (OUTPOST_STORAGE_*_TIMEOUT)."""
    s = current_app.config["OUTPOST"]
    return {
        "connect_timeout": s.storage_connect_timeout,
        "read_timeout": s.storage_read_timeout,
        "max_attempts": s.storage_max_attempts,
    }


def instance_storage_settings():
    """The instance storage, from the ``storage_*`` settings (OUTPOST_STORAGE_* variables)."""
    from ..storage import StorageSettings

    s = current_app.config["OUTPOST"]
    return StorageSettings(
        provider=s.storage_provider,
        endpoint=s.storage_endpoint or None,
        region=s.storage_region or None,
        access_key=s.storage_access_key or None,
        secret_key=s.storage_secret_key or None,
        bucket_prefix=s.storage_bucket_prefix,
        root_dir=str(data_dir(s) / "storage"),
        signing_secret=current_app.config["SECRET_KEY"],
        public_url=s.url.rstrip("/") if s.storage_provider == "filesystem" else None,
        addressing_style="path" if s.storage_endpoint else "auto",
        **_network_settings(),
    )


def byob_storage_settings(config: dict[str, Any], credentials: dict[str, str] | None):
    """Connection settings for a team's own S3 or GCS bucket.

    With credentials the connection never falls back to the server's own identity; without
    them it uses that identity (instance role, workload identity). Raises StorageConfigError
    for another provider or a KMS key on GCS.
    """
    from dataclasses import replace

    from ..storage import connector_settings

    credentials = credentials or {}
    settings = connector_settings(
        config["provider"],
        region=config.get("region") or None,
        endpoint=config.get("endpoint") or None,
        kms_key_id=config.get("kms_key_id") or None,
        access_key=credentials.get("access_key"),
        secret_key=credentials.get("secret_key"),
        credentials_info=credentials.get("service_account_json"),
        **_network_settings(),
    )
    if config["provider"] == "s3" and config.get("endpoint"):
        settings = replace(settings, addressing_style="path")
    return replace(settings, ambient_credentials=not credentials)
