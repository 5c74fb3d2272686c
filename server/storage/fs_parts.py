"""Multipart uploads for the filesystem provider, shaped like S3's.

An upload is a directory ``<root>/.outpost/multipart/<upload id>/`` holding what it is for
(bucket and key) and its parts, each with its MD5 (the part's ETag, as S3 answers). Completing
joins the parts named by the client, in part-number order, only if each is there with the ETag
the client names; the object then replaces the key atomically. Uploads left unfinished for a
week are removed when another one starts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .copying import Readable
from .errors import IncompleteUpload, InvalidMultipart, UploadTooLarge

CHUNK = 1024 * 1024
STALE_SECONDS = 7 * 24 * 3600
MAX_PARTS = 10_000
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


class PartStore:
    def __init__(self, meta_dir: Path):
        self.dir = meta_dir / "multipart"

    def start(self, bucket: str, key: str) -> str:
        self._sweep()
        upload_id = os.urandom(16).hex()
        where = self.dir / upload_id
        where.mkdir(parents=True)
        (where / "upload.json").write_text(json.dumps({"b": bucket, "k": key}))
        return upload_id

    def _sweep(self) -> None:
        if not self.dir.is_dir():
            return
        cutoff = time.time() - STALE_SECONDS
        for entry in self.dir.iterdir():
            try:
                if entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry, ignore_errors=True)
            except OSError:
                continue

    def _upload_dir(self, bucket: str, key: str, upload_id: str) -> Path:
        where = self.dir / upload_id if _UPLOAD_ID.match(upload_id or "") else None
        try:
            meta = json.loads((where / "upload.json").read_text()) if where else None
        except (OSError, ValueError):
            meta = None
        if meta != {"b": bucket, "k": key}:
            raise InvalidMultipart(f"There is no unfinished multipart upload {upload_id} to {key}.")
        return where

    @staticmethod
    def check_part_number(part: int) -> int:
        if isinstance(part, bool) or not isinstance(part, int) or not 1 <= part <= MAX_PARTS:
            raise InvalidMultipart(f"Part numbers go from 1 to {MAX_PARTS}, not {part!r}.")
        return part

    def store(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part: int,
        stream: Readable,
        *,
        limit: int | None,
        expected: int | None,
        content_md5: str | None = None,
    ) -> str:
        """Write one part; return its ETag (the MD5 of its bytes, hex). A ``Content-MD5`` sent
        with it must match, as S3 checks it. Raises InvalidMultipart, UploadTooLarge,
        IncompleteUpload."""
        where = self._upload_dir(bucket, key, upload_id)
        name = f"{self.check_part_number(part):05d}"
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".receiving-")
        digest, written = hashlib.md5(), 0
        buffer = memoryview(bytearray(CHUNK))
        try:
            with os.fdopen(fd, "wb") as out:
                while count := stream.readinto(buffer):
                    chunk = buffer[:count]
                    written += count
                    if limit is not None and written > limit:
                        raise UploadTooLarge(f"A part may hold at most {limit} bytes.")
                    digest.update(chunk)
                    out.write(chunk)
            if expected is not None and written != expected:
                raise IncompleteUpload(f"Received {written} of {expected} announced bytes.")
            if content_md5 is not None and not _same_md5(content_md5, digest.digest()):
                raise IncompleteUpload("The part's bytes do not match its Content-MD5.")
            os.replace(tmp, where / name)
            (where / f"{name}.etag").write_text(digest.hexdigest())
        finally:
            Path(tmp).unlink(missing_ok=True)
        return digest.hexdigest()

    def parts(
        self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> tuple[Path, list[Path]]:
        """The upload's directory and the part files to join, in order. Raises InvalidMultipart
        for no parts, a repeated number, or a part missing or not with the ETag named."""
        where = self._upload_dir(bucket, key, upload_id)
        numbers = [self.check_part_number(n) for n, _ in parts]
        if not parts or len(set(numbers)) != len(numbers):
            raise InvalidMultipart("Name each uploaded part once to complete the upload.")
        files = []
        for number, etag in sorted(parts):
            path = where / f"{number:05d}"
            try:
                stored = (where / f"{number:05d}.etag").read_text()
            except OSError:
                stored = None
            if stored is None or not path.is_file() or stored != str(etag).strip('"').lower():
                raise InvalidMultipart(f"Part {number} is not uploaded with ETag {etag!r}.")
            files.append(path)
        return where, files

    def discard(self, bucket: str, key: str, upload_id: str) -> None:
        try:
            where = self._upload_dir(bucket, key, upload_id)
        except InvalidMultipart:
            return
        shutil.rmtree(where, ignore_errors=True)


def _same_md5(header: str, raw: bytes) -> bool:
    try:
        return base64.b64decode(header.strip(), validate=True) == raw
    except (binascii.Error, ValueError):
        return False


class JoinedFiles:
    """The files' bytes one after another, read like one stream (never whole in memory)."""

    def __init__(self, paths: list[Path]):
        self._paths: Iterator[Path] = iter(paths)
        self._current: BinaryIO | None = None

    def readinto(self, buffer: memoryview) -> int:
        """Fill ``buffer`` from the current file; 0 only after the last file's end."""
        while True:
            if self._current is None:
                path = next(self._paths, None)
                if path is None:
                    return 0
                self._current = path.open("rb")
            count = self._current.readinto(buffer)
            if count:
                return count
            self._current.close()
            self._current = None

    def close(self) -> None:
        if self._current is not None:
            self._current.close()
