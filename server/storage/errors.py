"""Storage errors: one hierarchy, each with a stable code and a suggested HTTP status.

The integrator maps these onto the server's single JSON error shape; messages are written for a
human (an operator or a team admin) and never contain credentials.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class StorageError(Exception):
    """Base class for every error raised by the storage layer."""

    code = "storage_error"
    http_status = 502

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class StorageConfigError(StorageError):
    """The storage settings are incomplete or contradictory (a deployment mistake)."""

    code = "storage_misconfigured"
    http_status = 500


class InvalidBucketName(StorageError):
    """A bucket name or prefix does not follow the DNS-safe naming rules."""

    code = "invalid_bucket_name"
    http_status = 400


class InvalidObjectKey(StorageError):
    """An object key cannot be stored (empty, traversal, or clashes with another key)."""

    code = "invalid_object_key"
    http_status = 400


class EndpointNotAllowed(StorageError):
    """The endpoint is not on the system admin's allowlist; no request was sent to it."""

    code = "storage_endpoint_not_allowed"
    http_status = 400


class StorageUnavailable(StorageError):
    """The endpoint could not be reached in time, or answered that it is unavailable."""

    code = "storage_unavailable"
    http_status = 503


class StorageTimeout(StorageUnavailable):
    """The endpoint accepted the connection (or did not) but gave no answer in time."""

    code = "storage_timeout"
    http_status = 504


def unreachable(where: str, exc: BaseException, *, timed_out: bool, seconds: float):
    """The error for a request that failed below HTTP (refused, reset, timed out, TLS).

    The library's own text (an errno, a remote body) goes to the log only: an error shown to a
    client must not tell a closed port from a filtered one, nor repeat what a server answered.
    """
    log.warning("storage request to %s failed: %s: %s", where, type(exc).__name__, exc)
    if timed_out:
        return StorageTimeout(f"{where} did not answer within {seconds:g} s.")
    return StorageUnavailable(f"{where} could not be reached.")


class InvalidCredentials(StorageError):
    """The endpoint rejected the credentials themselves (unknown key, wrong secret)."""

    code = "storage_invalid_credentials"
    http_status = 400


class AccessDenied(StorageError):
    """The credentials are valid but are not allowed to do what was asked."""

    code = "storage_access_denied"
    http_status = 403


class BucketNotFound(StorageError):
    """The bucket does not exist."""

    code = "storage_bucket_not_found"
    http_status = 404


class BucketTaken(StorageError):
    """The bucket name is held by another account, or by another Outpost team."""

    code = "storage_bucket_taken"
    http_status = 409


class BucketNotEmpty(StorageError):
    """The bucket still holds objects and deleting it without purging was asked."""

    code = "storage_bucket_not_empty"
    http_status = 409


class ProbeFailed(StorageError):
    """The access probe wrote an object but could not read back the same bytes."""

    code = "storage_probe_failed"
    http_status = 502


class SignedUrlInvalid(StorageError):
    """A server-signed (filesystem) URL is forged, damaged, or used with the wrong method."""

    code = "signed_url_invalid"
    http_status = 403


class SignedUrlExpired(SignedUrlInvalid):
    """A server-signed (filesystem) URL was valid but its lifetime is over."""

    code = "signed_url_expired"
    http_status = 403


class UploadTooLarge(StorageError):
    """An upload through a server-signed URL is larger than the size it was signed for."""

    code = "upload_too_large"
    http_status = 413


class InvalidMultipart(StorageError):
    """A multipart upload cannot complete: unknown upload, or parts missing or not as listed."""

    code = "invalid_multipart_upload"
    http_status = 400


class IncompleteUpload(StorageError):
    """An upload ended before the announced Content-Length was received."""

    code = "upload_incomplete"
    http_status = 400


class ObjectNotFound(StorageError):
    """The object does not exist (raised only where a missing object is an error)."""

    code = "storage_object_not_found"
    http_status = 404


class ObjectChanged(StorageError):
    """The object was overwritten or removed while the server was checking it."""

    code = "storage_object_changed"
    http_status = 409


class TeamsFileError(StorageConfigError):
    """A declarative teams file cannot be read or does not have the documented shape."""

    code = "teams_file_invalid"
    http_status = 400
