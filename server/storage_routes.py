"""``/storage/fs/<token>``: the embedded filesystem provider's server-signed URLs.

The token itself is the authorization (signed, expiring, scoped to one object and method),
as with an S3 pre-signed URL; no session or API key is involved.
"""

from __future__ import annotations

import sys

from flask import Blueprint, Flask, request, send_file

from .auth import public
from .errors import BadRequest, Forbidden, NotFound, OutpostError
from .extensions import csrf
from .request_body import upload_body

bp = Blueprint("storage_fs", __name__)


def _provider():
    from .services.team_storage import instance_provider

    provider = instance_provider()
    if provider.settings.provider != "filesystem":
        raise NotFound("This instance does not serve storage itself.")
    return provider


def _translate(exc: Exception) -> OutpostError:
    from .storage import (
        IncompleteUpload,
        ObjectNotFound,
        SignedUrlExpired,
        SignedUrlInvalid,
        UploadTooLarge,
    )

    if isinstance(exc, SignedUrlExpired):
        return Forbidden(str(exc), code="url_expired")
    if isinstance(exc, SignedUrlInvalid):
        return Forbidden(str(exc), code="url_invalid")
    if isinstance(exc, ObjectNotFound):
        return NotFound(str(exc), code="object_not_found")
    if isinstance(exc, UploadTooLarge):
        error = OutpostError(str(exc), code="upload_too_large")
        error.status = 413
        return error
    if isinstance(exc, IncompleteUpload):
        return BadRequest(str(exc), code="incomplete_upload")
    return BadRequest(str(exc), code=getattr(exc, "code", "storage_error"))


@bp.route("/storage/fs/<token>", methods=["GET", "HEAD", "PUT"])
@public
def signed_object(token: str):
    from .storage import StorageError

    provider = _provider()
    try:
        if request.method == "PUT":
            grant = provider.authorize_upload(token, request.content_length)
            # The signed URL's size is the only limit, enforced by the provider as it streams
            # the body to disk. Flask reads None as "use the app's MAX_CONTENT_LENGTH", and
            # Werkzeug refuses a body that reaches a maximum exactly: lift it with a number.
            request.max_content_length = sys.maxsize
            stream = upload_body(request.environ, request.stream)
            info = provider.store_upload(grant, stream, request.headers.get("Content-MD5"))
            body = {"key": info.key, "size": info.size, "etag": info.etag}
            # As S3 does: multipart clients collect each part's ETag from this header.
            return body, 200, {"ETag": f'"{info.etag}"'}
        download = provider.open_download(token, request.method)
    except StorageError as exc:
        raise _translate(exc) from None
    response = send_file(
        download.path,
        mimetype=download.delivery.content_type,
        etag=download.info.etag,
        conditional=True,
    )
    response.headers.update(download.delivery.headers())  # one policy: storage/serving.py
    return response


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)

    def storage_ready() -> None:
        from .services.team_storage import instance_provider

        instance_provider().ping()

    app.extensions["outpost_readiness_checks"]["storage"] = storage_ready
