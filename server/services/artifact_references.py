"""Reference entries of an artifact version: a path that names a URI instead of bytes.

A W&B client may add ``s3://``, ``gs://``, ``file://`` or ``http(s)://`` references to an
artifact; it computes their digest (an MD5, an ETag) itself and resolves them itself when the
artifact is downloaded. Outpost stores the URI and that digest, holds no bytes for them and
never fetches a referenced URI (so a reference can never make the server reach a host). Only
the schemes the client resolves on its own side are accepted; anything else (``ftp:``,
``javascript:``, references into other artifacts, …) is refused, as are URIs carrying
credentials.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from ..errors import ValidationFailed

SCHEMES = ("file", "s3", "gs", "http", "https")
PREFIX = "ref:"
MAX_REF_CHARS = 4096
MAX_DIGEST_CHARS = 512


def is_reference(digest: str) -> bool:
    return digest.startswith(PREFIX)


def _refuse(path: str, message: str, code: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", code=code, path=path)


def check_reference(path: str, ref: object, digest: object) -> tuple[str, str]:
    """The reference's URI and the client's digest of it, checked. Raises ValidationFailed
    ``invalid_reference`` or ``reference_scheme_not_allowed``."""
    if not isinstance(ref, str) or not ref or len(ref) > MAX_REF_CHARS:
        raise _refuse(
            path, "a reference must be a URI of at most 4096 characters.", "invalid_reference"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in ref):
        raise _refuse(path, "the reference contains control characters.", "invalid_reference")
    try:
        parts = urlsplit(ref)
    except ValueError:
        raise _refuse(path, f"{ref!r} is not a URI.", "invalid_reference") from None
    if parts.scheme.lower() not in SCHEMES:
        raise _refuse(
            path,
            f"references may name {', '.join(s + '://' for s in SCHEMES)} URIs only, "
            f"not {parts.scheme or 'a relative path'!r}.",
            "reference_scheme_not_allowed",
        )
    if parts.username is not None or parts.password is not None:
        raise _refuse(path, "a reference must not carry credentials.", "invalid_reference")
    if not isinstance(digest, str) or not digest or len(digest) > MAX_DIGEST_CHARS:
        raise _refuse(
            path,
            "a reference needs the client's digest (at most 512 characters).",
            "invalid_digest",
        )
    return ref, digest


def reference_digest(ref: str, digest: str, size: int) -> str:
    """The entry's identity in Outpost's manifest: equal references give equal digests."""
    identity = hashlib.sha256(f"{ref}\n{digest}\n{size}".encode()).hexdigest()
    return PREFIX + identity[: 64 - len(PREFIX)]
