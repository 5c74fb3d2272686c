"""Pick the provider class named by the settings."""

from __future__ import annotations

from .base import StorageProvider
from .endpoints import check_connection_allowed
from .settings import StorageSettings


def get_provider(
    settings: StorageSettings, *, endpoint_allowlist: list[str] | None = None
) -> StorageProvider:
    """Return a provider for ``settings``; no network request is made here.

    With ``endpoint_allowlist`` (BYOB connections), the endpoint and every URL inside the
    credentials are checked first and EndpointNotAllowed is raised before any client exists.
    Raises StorageConfigError for settings the provider cannot work with.
    """
    if endpoint_allowlist is not None and settings.provider != "filesystem":
        check_connection_allowed(settings, endpoint_allowlist)
    # Imported here so that only the configured provider's client library is loaded.
    if settings.provider in ("s3", "minio"):
        from .s3 import S3Provider

        return S3Provider(settings)
    if settings.provider == "gcs":
        from .gcs import GCSProvider

        return GCSProvider(settings)
    from .filesystem import FilesystemProvider

    return FilesystemProvider(settings)
