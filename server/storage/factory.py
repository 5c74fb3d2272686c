"""Pick the provider class named by the settings."""

from __future__ import annotations

import functools
import time

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
        from .s3 import S3Provider as provider_class
    elif settings.provider == "gcs":
        from .gcs import GCSProvider as provider_class
    else:
        from .filesystem import FilesystemProvider as provider_class
    return _measured(provider_class)(settings)


# Storage calls measured for /metrics (latency and errors by provider and operation): the one
# place they are wrapped, so the providers stay unaware of it.
MEASURED_CALLS = (
    "ensure_team_bucket",
    "check_team_bucket",
    "probe_access",
    "put_bytes",
    "get_bytes",
    "delete_object",
    "stat_object",
    "presign_get",
    "presign_put",
    "ping",
    "bucket_usage",
    "delete_bucket",
)


def _measure(provider_class: type[StorageProvider], name: str):
    from ..metrics import observe_storage

    @functools.wraps(getattr(provider_class, name))
    def measured(self, *args, **kwargs):
        # Looked up at each call, so a method replaced on the provider class still runs.
        call = getattr(provider_class, name)
        started, failed = time.perf_counter(), True
        try:
            result = call(self, *args, **kwargs)
            failed = False
            return result
        finally:
            observe_storage(self.settings.provider, name, started, failed)

    return measured


@functools.cache
def _measured(provider_class: type[StorageProvider]) -> type[StorageProvider]:
    """A subclass of ``provider_class`` whose public calls are measured (isinstance holds)."""
    calls = {
        name: _measure(provider_class, name)
        for name in MEASURED_CALLS
        if callable(getattr(provider_class, name, None))
    }
    return type(
        provider_class.__name__,
        (provider_class,),
        {**calls, "__module__": provider_class.__module__},
    )
