"""Content digests: the one place that checks stored bytes against what a client declared.

A :class:`DigestCheck` is a write-only sink: a provider streams an object into it chunk by
chunk (nothing is held in memory), then :meth:`DigestCheck.verify` raises
:class:`DigestMismatch` unless the bytes have the declared size and every declared digest.
Digests are written as clients write them: sha256 as 64 hexadecimal characters (Outpost's
manifests), MD5 as base64 (W&B's manifests and GCS's ``md5Hash``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import StorageError

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class InvalidDigest(StorageError):
    """A declared digest is not written the way its algorithm is."""

    code = "invalid_digest"
    http_status = 400


class DigestMismatch(StorageError):
    """The stored bytes are not the ones declared; ``found`` holds what they are."""

    code = "digest_mismatch"
    http_status = 409

    def __init__(self, message: str, found: dict[str, str | int]):
        super().__init__(message)
        self.found = found


@dataclass(frozen=True)
class Digest:
    """One declared digest: ``algorithm`` ``sha256`` (hex) or ``md5`` (base64)."""

    algorithm: str
    value: str

    @classmethod
    def sha256(cls, hex_value: str) -> Digest:
        value = (hex_value or "").lower().removeprefix("sha256:")
        if not _HEX64.match(value):
            raise InvalidDigest("A sha256 digest is 64 hexadecimal characters.")
        return cls("sha256", value)

    @classmethod
    def md5_base64(cls, b64_value: str) -> Digest:
        try:
            raw = base64.b64decode(b64_value or "", validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 16:
            raise InvalidDigest("An MD5 digest is 16 bytes written in base64 (24 characters).")
        return cls("md5", base64.b64encode(raw).decode())


def _render(algorithm: str, hasher) -> str:
    if algorithm == "md5":
        return base64.b64encode(hasher.digest()).decode()
    return hasher.hexdigest()


class DigestCheck:
    """Hash what is written; :meth:`verify` compares with the declared size and digests."""

    def __init__(self, expected: Sequence[Digest], size: int | None = None):
        if not expected:
            raise ValueError("at least one digest to check")
        self.expected, self.size = list(expected), size
        self._hashers = {d.algorithm: hashlib.new(d.algorithm) for d in self.expected}
        self.received = 0

    def write(self, chunk: bytes) -> int:
        for hasher in self._hashers.values():
            hasher.update(chunk)
        self.received += len(chunk)
        return len(chunk)

    def found(self) -> dict[str, str | int]:
        return {
            "size": self.received,
            **{name: _render(name, h) for name, h in self._hashers.items()},
        }

    def verify(self) -> None:
        """Raises DigestMismatch naming the size and digests the bytes really have."""
        found = self.found()
        wrong = [d.algorithm for d in self.expected if found[d.algorithm] != d.value]
        if self.size is not None and self.received != self.size:
            wrong.insert(0, "size")
        if wrong:
            raise DigestMismatch(
                f"The stored bytes do not match the declared {', '.join(wrong)}.", found
            )


def check_chunks(chunks: Iterable[bytes], expected: Sequence[Digest], size=None) -> None:
    """Stream ``chunks`` through a DigestCheck; raises DigestMismatch."""
    check = DigestCheck(expected, size)
    for chunk in chunks:
        check.write(chunk)
    check.verify()
