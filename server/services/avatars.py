"""Profile pictures, kept in the instance storage in a bucket of their own.

The bucket is ``<storage_bucket_prefix>--users``: team buckets are ``<prefix>-<slug>`` or end
in ``--<10 hex digits>``, so no team can ever be given this name. Objects are
``users/<user id>/avatar-<digest>.<ext>``; the digest changes with the picture, so browsers may
cache a URL for as long as it lives. The type is read from the file's first bytes, never from
the name or the header the client sent, and only raster formats are accepted (no SVG).
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import current_app

from ..errors import NotFound, OutpostError, ServiceUnavailable
from ..extensions import db
from . import audit
from .profile import editable_profile, ensure_person, profile_of

MAX_AVATAR_BYTES = 1024 * 1024
URL_SECONDS = 300
_ENSURED = "outpost_users_bucket_ready"
_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


def sniff_image_type(data: bytes) -> str | None:
    """The media type of a PNG, JPEG, GIF or WebP file from its magic bytes, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _error(status: int, code: str, message: str) -> OutpostError:
    error = OutpostError(message, code=code)
    error.status = status
    return error


def check_avatar(data: bytes) -> str:
    """Return the image type of ``data``. Raises 400 ``avatar_missing``, 413
    ``avatar_too_large`` or 415 ``unsupported_avatar_type``."""
    if not data:
        raise _error(400, "avatar_missing", "Choose an image file to upload.")
    if len(data) > MAX_AVATAR_BYTES:
        raise _error(413, "avatar_too_large", "The picture is larger than 1 MiB.")
    kind = sniff_image_type(data)
    if kind is None:
        raise _error(
            415, "unsupported_avatar_type", "The picture must be a PNG, JPEG, GIF or WebP image."
        )
    return kind


def avatar_bucket() -> str:
    return f"{current_app.config['OUTPOST'].storage_bucket_prefix}--users"


def _provider(create: bool = False):
    from ..storage import StorageError
    from .team_storage import instance_provider

    provider = instance_provider()
    if create and not current_app.extensions.get(_ENSURED):
        try:
            provider.ensure_team_bucket(avatar_bucket(), team_slug="outpost-users")
        except StorageError as exc:
            raise ServiceUnavailable(
                f"The picture could not be stored: {exc}", code="storage_unavailable"
            ) from None
        current_app.extensions[_ENSURED] = True
    return provider


def set_avatar(user, data: bytes) -> str:
    """Store ``data`` as the user's picture (replacing any earlier one); returns its key."""
    from ..storage import StorageError

    ensure_person(user)
    kind = check_avatar(data)
    key = f"users/{user.id}/avatar-{hashlib.sha256(data).hexdigest()[:16]}.{_TYPES[kind]}"
    provider = _provider(create=True)
    try:
        provider.put_bytes(avatar_bucket(), key, data, content_type=kind)
    except StorageError as exc:
        raise ServiceUnavailable(
            f"The picture could not be stored: {exc}", code="storage_unavailable"
        ) from None
    profile = editable_profile(user.id)
    old = profile.avatar_key
    profile.avatar_key, profile.avatar_type = key, kind
    audit.record("user:avatar_update", target_type="user", target_id=str(user.id))
    db.session.commit()
    if old and old != key:
        _delete_quietly(provider, old)
    return key


def remove_avatar(user) -> None:
    profile = profile_of(user.id)
    if not profile.avatar_key:
        return
    old, profile.avatar_key, profile.avatar_type = profile.avatar_key, None, None
    audit.record("user:avatar_remove", target_type="user", target_id=str(user.id))
    db.session.commit()
    _delete_quietly(_provider(), old)


def delete_avatar_object(key: str) -> None:
    """Remove a deleted person's picture; storage trouble only leaves an orphan (logged)."""
    from ..storage import StorageError

    try:
        provider = _provider()
    except (StorageError, OutpostError) as exc:
        current_app.logger.warning("avatar %s not deleted: %s", key, exc)
        return
    _delete_quietly(provider, key)


def _delete_quietly(provider, key: str) -> None:
    from ..storage import StorageError

    try:
        provider.delete_object(avatar_bucket(), key)
    except StorageError as exc:  # an orphaned old picture is harmless; say so in the log
        current_app.logger.warning("old avatar %s not deleted: %s", key, exc)


def avatar_path(username: str, avatar_key: str | None) -> str | None:
    """The console path showing a user's picture (it redirects to a short-lived URL), with
    the picture's digest so a new picture gets a new address; None without a picture."""
    if not avatar_key:
        return None
    version = avatar_key.rsplit("-", 1)[-1].split(".", 1)[0]
    return f"/users/{username}/avatar?v={version}"


def avatar_download_url(user) -> str:
    """A short-lived URL of the user's picture. NotFound (``no_avatar``) when there is none.

    The embedded filesystem storage signs URLs on this server's configured address; those are
    returned as a path, so they work whichever address the browser used to reach us.
    """
    key = profile_of(user.id).avatar_key
    if not key:
        raise NotFound("This user has no picture.", code="no_avatar")
    url = _provider().presign_get(avatar_bucket(), key, expires_in=URL_SECONDS)
    base = current_app.config["OUTPOST"].url.rstrip("/")
    if url.startswith(base + "/storage/fs/"):
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return url
