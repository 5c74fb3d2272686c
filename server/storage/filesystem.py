"""Embedded filesystem storage: buckets are directories under ``root_dir``.

Object bytes live at ``<root>/<bucket>/<key>``; Outpost's own bookkeeping (bucket labels,
partial uploads) lives under ``<root>/.outpost/``, a name no bucket can take.

Pre-signed URLs point at the server itself: ``<public_url>/storage/fs/<token>``, where the token
is signed with ``signing_secret`` and names bucket, key, method, expiry and (for uploads) the
largest accepted size. The Flask route serving that path calls ``receive_upload`` for PUT and
``open_download`` for GET/HEAD; both verify the token first.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from .base import BucketUpdate, StorageProvider
from .copying import CHUNK, Readable, copy_to_file
from .errors import (
    BucketNotEmpty,
    BucketNotFound,
    IncompleteUpload,
    InvalidObjectKey,
    ObjectNotFound,
    SignedUrlExpired,
    SignedUrlInvalid,
    StorageConfigError,
    StorageUnavailable,
    UploadTooLarge,
)
from .fs_parts import JoinedFiles, PartStore
from .results import BucketConfig, ObjectInfo, PresignedUpload
from .serving import Delivery, delivery_for

ROUTE_PREFIX = "/storage/fs/"
TOKEN_SALT = "outpost.storage.fs-url"
META_DIR = ".outpost"
MAX_PART_BYTES = 5 * 1024**3  # as S3


@dataclass(frozen=True)
class Download:
    """A verified download: send ``path`` with this ETag and ``delivery``'s headers."""

    path: Path
    info: ObjectInfo
    delivery: Delivery


@dataclass(frozen=True)
class UploadGrant:
    """A verified signed PUT: where the bytes go and how many are accepted (``limit`` None:
    any number; ``expected``: exactly that many)."""

    bucket: str
    key: str
    limit: int | None
    expected: int | None
    upload_id: str | None = None  # a part of this multipart upload (``fs_parts``)
    part: int | None = None


def _checked_key(key: str) -> str:
    parts = key.split("/")
    bad = (
        not key
        or "\\" in key
        or "\x00" in key
        or any(part in ("", ".", "..") for part in parts)
        or any(len(part.encode()) > 255 for part in parts)
    )
    if bad:
        raise InvalidObjectKey(
            f"Object key {key!r} cannot be stored on the filesystem: use non-empty path "
            "segments without '.', '..' or backslashes."
        )
    return key


class FilesystemProvider(StorageProvider):
    """Buckets as directories; server-signed URLs instead of a storage service's."""

    name = "filesystem"
    supports_versioning = False  # an overwrite replaces the file
    supports_cors = False  # URLs are served by Outpost itself, same origin as the console

    def __init__(self, settings):
        super().__init__(settings)
        if not settings.root_dir:
            raise StorageConfigError("Filesystem storage needs a root directory (root_dir).")
        if not settings.signing_secret:
            raise StorageConfigError("Filesystem storage needs a signing secret for its URLs.")
        self.root = Path(settings.root_dir)
        self._serializer = URLSafeSerializer(settings.signing_secret, salt=TOKEN_SALT)
        self._parts = PartStore(self.root / META_DIR)

    # -- paths ------------------------------------------------------------------------------

    def _bucket_dir(self, bucket: str) -> Path:
        if not bucket or "/" in bucket or bucket.startswith("."):
            raise InvalidObjectKey(f"{bucket!r} is not a bucket name.")
        return self.root / bucket

    def _object_path(self, bucket: str, key: str) -> Path:
        return self._bucket_dir(bucket) / _checked_key(key)

    def _labels_path(self, bucket: str) -> Path:
        return self.root / META_DIR / "buckets" / f"{bucket}.json"

    def _existing_bucket(self, bucket: str) -> Path:
        path = self._bucket_dir(bucket)
        if not path.is_dir():
            raise BucketNotFound(f"Bucket {bucket} does not exist under {self.root}.")
        return path

    # -- team buckets -----------------------------------------------------------------------

    def _bucket_config(self, bucket: str, *, labels: bool) -> BucketConfig | None:
        if not self._bucket_dir(bucket).is_dir():
            return None
        path = self._labels_path(bucket)
        stored = json.loads(path.read_text()) if labels and path.exists() else {}
        return BucketConfig(labels=stored)

    def _not_writable(self, exc: OSError) -> StorageUnavailable:
        return StorageUnavailable(
            f"The storage directory {self.root} is not writable by the server "
            f"({exc.strerror or type(exc).__name__}): make it a directory the server's user "
            "owns, or set OUTPOST_DATA_DIR to one."
        )

    def _create_bucket(self, bucket: str) -> None:
        try:
            self._bucket_dir(bucket).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._not_writable(exc) from exc

    def _update_bucket(self, bucket: str, update: BucketUpdate) -> None:
        if update.labels is not None:
            path = self._labels_path(bucket)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(update.labels, sort_keys=True))
            except OSError as exc:
                raise self._not_writable(exc) from exc

    # -- objects ----------------------------------------------------------------------------

    def _info(self, key: str, path: Path) -> ObjectInfo:
        st = path.stat()
        # size and modification time, not a content hash: cheap for large files
        return ObjectInfo(key=key, size=st.st_size, etag=f"{st.st_size:x}-{st.st_mtime_ns:x}")

    def _write_stream(
        self, bucket: str, key: str, stream: Readable, limit: int | None, expected: int | None
    ) -> int:
        """Copy ``stream`` into place atomically; return the byte count. An existing object
        is replaced only by a complete upload (``expected`` bytes, when given).

        Raises BucketNotFound, UploadTooLarge, IncompleteUpload, InvalidObjectKey (the key
        clashes with a "directory" of other keys, or the other way round).
        """
        target = self._object_path(bucket, key)
        self._existing_bucket(bucket)
        tmp_dir = self.root / META_DIR / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir)
        try:
            try:
                written = copy_to_file(stream, fd, limit)
            finally:
                os.close(fd)
            if expected is not None and written != expected:
                raise IncompleteUpload(f"Received {written} of {expected} announced bytes.")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
        except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
            raise InvalidObjectKey(f"Key {key!r} clashes with another key in {bucket}.") from exc
        finally:
            Path(tmp_name).unlink(missing_ok=True)
        return written

    def put_bytes(self, bucket, key, data, *, content_type=None):
        try:
            self._write_stream(bucket, key, io.BytesIO(data), None, None)
        except OSError as exc:
            raise self._not_writable(exc) from exc
        return None

    def get_bytes(self, bucket, key):
        path = self._object_path(bucket, key)
        self._existing_bucket(bucket)
        if not path.is_file():
            raise ObjectNotFound(f"{bucket}/{key} does not exist.")
        return path.read_bytes()

    def delete_object(self, bucket, key, *, version_id=None):
        path = self._object_path(bucket, key)
        self._existing_bucket(bucket)
        path.unlink(missing_ok=True)

    def stat_object(self, bucket, key):
        path = self._object_path(bucket, key)
        return self._info(key, path) if path.is_file() else None

    # -- server-signed URLs -----------------------------------------------------------------

    def _url(self, token: str) -> str:
        base = (self.settings.public_url or "").rstrip("/")
        return f"{base}{ROUTE_PREFIX}{token}"

    def _sign(
        self,
        bucket: str,
        key: str,
        method: str,
        expires_in: int,
        limit=None,
        exact=False,
        name=None,
        **extra,
    ) -> str:
        _checked_key(key)
        payload = {"b": bucket, "k": key, "m": method, "e": int(time.time()) + int(expires_in)}
        payload.update(extra)
        if limit is not None:
            payload["n"] = int(limit)
        if exact:
            payload["x"] = 1  # like an S3 URL signed with Content-Length: that size, no other
        if name:
            payload["f"] = name  # the file name the download is served as
        return self._serializer.dumps(payload)

    def presign_get(self, bucket, key, expires_in=3600, *, filename=None):
        return self._url(self._sign(bucket, key, "GET", expires_in, name=filename))

    def presign_put(self, bucket, key, expires_in=86400, content_length=None):
        limit = content_length if content_length is not None else self.settings.max_upload_bytes
        exact = content_length is not None
        url = self._url(self._sign(bucket, key, "PUT", expires_in, limit, exact))
        headers = {"Content-Length": str(content_length)} if content_length is not None else {}
        return PresignedUpload(url=url, headers=headers, expires_in=expires_in)

    def _load_token(self, token: str, method: str) -> dict:
        try:
            payload = self._serializer.loads(token)
        except BadSignature as exc:
            raise SignedUrlInvalid("This storage URL is not valid.") from exc
        wanted = "GET" if method.upper() == "HEAD" else method.upper()
        if payload.get("m") != wanted:
            raise SignedUrlInvalid(f"This storage URL does not allow {method.upper()}.")
        if payload["e"] < time.time():
            raise SignedUrlExpired("This storage URL has expired; ask for a new one.")
        return payload

    def verify_signed_token(self, token: str, method: str) -> tuple[str, str]:
        """Return (bucket, key) of a valid token for ``method`` (HEAD counts as GET).

        Raises SignedUrlInvalid (bad signature or wrong method) or SignedUrlExpired.
        """
        payload = self._load_token(token, method)
        return payload["b"], payload["k"]

    def authorize_upload(self, token: str, content_length: int | None = None) -> UploadGrant:
        """Check a signed PUT before any byte of its body is read.

        Raises SignedUrlInvalid/SignedUrlExpired, UploadTooLarge (the announced length is too
        big), IncompleteUpload (another size than the URL was signed for).
        """
        payload = self._load_token(token, "PUT")
        bucket, key, limit = payload["b"], payload["k"], payload.get("n")
        if limit is not None and content_length is not None and content_length > limit:
            raise UploadTooLarge(f"Upload of {content_length} bytes exceeds the {limit} allowed.")
        expected = limit if payload.get("x") else content_length
        if content_length is not None and expected != content_length:
            raise IncompleteUpload(
                f"This URL takes exactly {expected} bytes, not {content_length}."
            )
        return UploadGrant(bucket, key, limit, expected, payload.get("u"), payload.get("p"))

    def store_upload(
        self, grant: UploadGrant, stream: Readable, content_md5: str | None = None
    ) -> ObjectInfo:
        """Stream the body to disk in chunks (never whole in memory) and put it in place; a
        part of a multipart upload goes to that upload (its ETag is its MD5).

        Raises UploadTooLarge, IncompleteUpload (fewer bytes than expected: an existing object
        is kept), BucketNotFound, InvalidObjectKey, InvalidMultipart.
        """
        if grant.upload_id is not None:
            etag = self._parts.store(
                grant.bucket, grant.key, grant.upload_id, grant.part, stream,
                limit=grant.limit, expected=grant.expected, content_md5=content_md5,
            )  # fmt: skip
            return ObjectInfo(key=grant.key, size=grant.expected or 0, etag=etag)
        self._write_stream(grant.bucket, grant.key, stream, grant.limit, grant.expected)
        return self._info(grant.key, self._object_path(grant.bucket, grant.key))

    def receive_upload(
        self, token: str, stream: Readable, content_length: int | None = None
    ) -> ObjectInfo:
        """``authorize_upload`` then ``store_upload``; raises what they raise."""
        return self.store_upload(self.authorize_upload(token, content_length), stream)

    def open_download(self, token: str, method: str = "GET") -> Download:
        """Resolve a signed GET/HEAD URL to the file to send.

        Raises SignedUrlInvalid/SignedUrlExpired or ObjectNotFound.
        """
        payload = self._load_token(token, method)
        bucket, key = payload["b"], payload["k"]
        path = self._object_path(bucket, key)
        if not path.is_file():
            raise ObjectNotFound(f"{bucket}/{key} does not exist.")
        delivery = delivery_for(payload.get("f") or key)
        return Download(path=path, info=self._info(key, path), delivery=delivery)

    # -- multipart uploads (fs_parts) -------------------------------------------------------

    supports_multipart = True

    def start_multipart(self, bucket, key):
        _checked_key(key)
        self._existing_bucket(bucket)
        try:
            return self._parts.start(bucket, key)
        except OSError as exc:
            raise self._not_writable(exc) from exc

    def presign_part(self, bucket, key, upload_id, part_number, expires_in=86400):
        PartStore.check_part_number(part_number)
        limit = self.settings.max_upload_bytes or MAX_PART_BYTES
        token = self._sign(bucket, key, "PUT", expires_in, limit, u=upload_id, p=part_number)
        return self._url(token)

    def complete_multipart(self, bucket, key, upload_id, parts):
        where, paths = self._parts.parts(bucket, key, upload_id, parts)
        joined = JoinedFiles(paths)
        try:
            self._write_stream(bucket, key, joined, None, None)
        finally:
            joined.close()
        self._parts.discard(bucket, key, upload_id)

    def abort_multipart(self, bucket, key, upload_id):
        self._parts.discard(bucket, key, upload_id)

    # -- verified objects -------------------------------------------------------------------

    def read_into(self, bucket, key, sink, *, pin=None):
        path = self._object_path(bucket, key)
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    sink.write(chunk)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(f"{bucket}/{key} does not exist.") from None

    def claim_object(self, bucket, source, target, check):
        """Move ``source`` out of reach of its upload URL first (a rename into Outpost's own
        directory), check it there, then rename it to ``target``: what lands is what was
        checked. Raises what the base method does, and InvalidObjectKey."""
        src, dst = self._object_path(bucket, source), self._object_path(bucket, target)
        self._existing_bucket(bucket)
        tmp_dir = self.root / META_DIR / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        held = tmp_dir / f"claim-{uuid.uuid4().hex}"
        try:
            os.replace(src, held)
        except (FileNotFoundError, NotADirectoryError):
            return False
        try:
            with held.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    check.write(chunk)
            check.verify()
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(held, dst)
        except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
            raise InvalidObjectKey(f"Key {target!r} clashes with another key in {bucket}.") from exc
        finally:
            held.unlink(missing_ok=True)
        return True

    # -- buckets ----------------------------------------------------------------------------

    def ping(self):
        """Create the root directory if needed and write (then remove) a probe file there;
        raise StorageUnavailable if that fails (permissions, a read-only mount, a full disk)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root, prefix=".outpost-ping-") as probe:
                probe.write(b"ok")
                probe.flush()
        except OSError as exc:
            raise self._not_writable(exc) from exc

    def bucket_usage(self, bucket):
        total = 0
        for dirpath, _, files in os.walk(self._existing_bucket(bucket)):
            total += sum((Path(dirpath) / name).stat().st_size for name in files)
        return total

    def delete_bucket(self, bucket, *, purge=True):
        path = self._bucket_dir(bucket)
        if not path.is_dir():
            return False
        if not purge and any(path.iterdir()):
            raise BucketNotEmpty(f"Bucket {bucket} still holds objects.")
        shutil.rmtree(path)
        self._labels_path(bucket).unlink(missing_ok=True)
        return True
