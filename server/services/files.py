"""Team files: where a team's objects live, and short-lived pre-signed URLs to them.

The server never carries file bytes: after the caller's permission check it hands out a URL
for one object, valid for ``storage_upload_url_seconds`` (PUT) or
``storage_download_url_seconds`` (GET). Every key is scoped to the team: its internal bucket,
or its own bucket (secure storage connector) under the connector's path prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app

from .. import clock
from ..errors import Conflict, Forbidden, OutpostError, ValidationFailed
from ..models import Team

MAX_KEY_BYTES = 900  # S3 and GCS allow 1024; leave room for the connector prefix
_PROVIDERS = "outpost_team_providers"


@dataclass(frozen=True)
class TeamLocation:
    provider: Any  # server.storage.StorageProvider
    bucket: str
    prefix: str  # "" or ends with "/"

    def key(self, relative: str) -> str:
        return self.prefix + relative


def storage_error(exc: Exception) -> OutpostError:
    """The API error for a storage failure: the storage code, and a server-side status for
    what the client cannot fix (the bucket refusing the server is not the client's 403)."""
    status = getattr(exc, "http_status", 502)
    error = OutpostError(f"Storage: {exc}", code=getattr(exc, "code", "storage_error"))
    error.status = status if status in (400, 404, 413, 503, 504) else 502
    return error


def check_relative_path(path: str) -> str:
    """Validate a file path given by a client (``model/weights.bin``).

    Raises ValidationFailed (``invalid_path``) for empty segments, ``.``/``..``, backslashes,
    control characters or an over-long path.
    """
    parts = (path or "").split("/")
    bad = (
        not path
        or path.startswith("/")
        or "\\" in path
        or any(ord(c) < 32 or ord(c) == 127 for c in path)
        or any(part in ("", ".", "..") for part in parts)
        or len(path.encode()) > MAX_KEY_BYTES // 2
    )
    if bad:
        raise ValidationFailed(
            f"{path!r} is not a valid file path: use '/'-separated names without '.', '..', "
            "backslashes or control characters, at most 450 bytes.",
            code="invalid_path",
        )
    return path


def _check_endpoint_allowed(team: Team, settings) -> None:
    """Checked on every use: once an admin removes a connector's endpoint (or a host its
    credentials name) from the allowlist, this server sends it no further requests."""
    from ..storage import EndpointNotAllowed, check_connection_allowed
    from .byob import endpoint_allowlist

    try:
        check_connection_allowed(settings, endpoint_allowlist())
    except EndpointNotAllowed as exc:
        raise Forbidden(
            f"Team {team.slug!r} keeps its files in its own bucket, whose endpoint is not "
            f"allowed: {exc.message} No request was sent to it.",
            code="endpoint_not_allowed",
        ) from None


def _byob_provider(team: Team):
    """The team's own bucket's provider, built once per team (clients are costly to make)."""
    from ..storage import get_provider
    from .secret_box import unseal
    from .storage_settings import byob_storage_settings

    cache = current_app.extensions.setdefault(_PROVIDERS, {})
    if team.id not in cache:
        credentials = unseal(team.storage_credentials) if team.storage_credentials else None
        cache[team.id] = get_provider(byob_storage_settings(team.storage_config or {}, credentials))
    return cache[team.id]


def team_location(team: Team) -> TeamLocation:
    """Provider, bucket and key prefix for ``team``'s objects."""
    if team.storage_kind != "byob":
        from .team_storage import instance_provider

        return TeamLocation(instance_provider(), team.bucket, "")
    provider = _byob_provider(team)  # built without any request
    _check_endpoint_allowed(team, provider.settings)
    prefix = (team.storage_config or {}).get("prefix", "").strip("/")
    return TeamLocation(provider, team.bucket, f"{prefix}/" if prefix else "")


def _expiry(seconds: int) -> str:
    return (clock.now() + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def upload_url(team: Team, relative: str, *, size: int | None = None) -> dict[str, Any]:
    """A pre-signed PUT for one object of the team; ``size`` pins the upload's length."""
    from ..storage import StorageError

    seconds = current_app.config["OUTPOST"].storage_upload_url_seconds
    where = team_location(team)
    try:
        upload = where.provider.presign_put(
            where.bucket, where.key(relative), expires_in=seconds, content_length=size
        )
    except StorageError as exc:
        raise storage_error(exc) from None
    return {
        "method": upload.method,
        "url": upload.url,
        "headers": dict(upload.headers),
        "expires_at": _expiry(seconds),
    }


def download_url(team: Team, relative: str, *, filename: str | None = None) -> dict[str, Any]:
    """A pre-signed GET for one object of the team, served as ``filename`` (type and
    disposition decided by ``storage.serving``: active content only ever as an attachment)."""
    from ..storage import StorageError

    seconds = current_app.config["OUTPOST"].storage_download_url_seconds
    where = team_location(team)
    try:
        url = where.provider.presign_get(
            where.bucket, where.key(relative), expires_in=seconds, filename=filename
        )
    except StorageError as exc:
        raise storage_error(exc) from None
    return {"method": "GET", "url": url, "expires_at": _expiry(seconds)}


def stat(team: Team, relative: str):
    """The object's ObjectInfo (size, etag), or None when it was never uploaded."""
    from ..storage import StorageError

    where = team_location(team)
    try:
        return where.provider.stat_object(where.bucket, where.key(relative))
    except StorageError as exc:
        raise storage_error(exc) from None


def verify_uploaded(team: Team, files: list[tuple[str, int]]) -> None:
    """Check that every ``(relative key, size)`` is in the bucket with exactly that size.

    Raises Conflict (``upload_incomplete``) listing each missing or mis-sized object.
    """
    problems = []
    for relative, size in files:
        info = stat(team, relative)
        if info is None:
            problems.append({"key": relative, "problem": "missing"})
        elif info.size != size:
            problems.append(
                {"key": relative, "problem": "size", "expected": size, "found": info.size}
            )
    if problems:
        raise Conflict(
            f"{len(problems)} file(s) were not uploaded as declared; upload them and try again.",
            code="upload_incomplete",
            files=problems,
        )


def claim(team: Team, source: str, target: str, check) -> bool:
    """Move the object ``source`` to ``target`` only with bytes that pass ``check`` (a
    ``storage.DigestCheck``); False when ``source`` does not exist. Raises the storage's
    DigestMismatch and ObjectChanged as they are, other storage failures as OutpostError."""
    from ..storage import DigestMismatch, ObjectChanged, StorageError

    where = team_location(team)
    try:
        return where.provider.claim_object(
            where.bucket, where.key(source), where.key(target), check
        )
    except (DigestMismatch, ObjectChanged):
        raise
    except StorageError as exc:
        raise storage_error(exc) from None


def verify_stored(team: Team, relative: str, check) -> bool:
    """Check an object's bytes in place; False when it does not exist. Raises like claim."""
    from ..storage import DigestMismatch, ObjectChanged, StorageError

    where = team_location(team)
    try:
        return where.provider.verify_object(where.bucket, where.key(relative), check)
    except (DigestMismatch, ObjectChanged):
        raise
    except StorageError as exc:
        raise storage_error(exc) from None


def delete(team: Team, relative: str) -> None:
    from ..storage import StorageError

    where = team_location(team)
    try:
        where.provider.delete_object(where.bucket, where.key(relative))
    except StorageError as exc:
        raise storage_error(exc) from None


# -- multipart uploads (one large object in parts, on providers that offer it) ------------------


def multipart_supported(team: Team) -> bool:
    return bool(team_location(team).provider.supports_multipart)


def start_multipart(team: Team, relative: str, part_numbers: list[int]) -> dict[str, Any]:
    """Begin a multipart upload of one object; return its upload id and a pre-signed PUT per
    part (each answers the part's ETag, which completing needs)."""
    from ..storage import StorageError

    seconds = current_app.config["OUTPOST"].storage_upload_url_seconds
    where = team_location(team)
    key = where.key(relative)
    try:
        upload_id = where.provider.start_multipart(where.bucket, key)
        urls = {
            n: where.provider.presign_part(where.bucket, key, upload_id, n, expires_in=seconds)
            for n in part_numbers
        }
    except StorageError as exc:
        raise storage_error(exc) from None
    return {"upload_id": upload_id, "parts": urls, "expires_at": _expiry(seconds)}


def complete_multipart(
    team: Team, relative: str, upload_id: str, parts: list[tuple[int, str]]
) -> None:
    """Join the uploaded parts into the object. Raises the storage error (``invalid_multipart
    _upload`` when a part is missing or differs from what was listed) as an OutpostError."""
    from ..storage import StorageError

    where = team_location(team)
    try:
        where.provider.complete_multipart(where.bucket, where.key(relative), upload_id, parts)
    except StorageError as exc:
        raise storage_error(exc) from None


def abort_multipart(team: Team, relative: str, upload_id: str) -> None:
    from ..storage import StorageError

    where = team_location(team)
    try:
        where.provider.abort_multipart(where.bucket, where.key(relative), upload_id)
    except StorageError as exc:
        raise storage_error(exc) from None
