"""Trusted vendor public keys: the bundled key set plus development-only extras.

The bundled set lives in ``license/keys/vendor_keys.json``::

    {"keys": [{"kid": "outpost-vendor-2026-11", "public_key": "-----BEGIN PUBLIC KEY-----..."}]}

``public_key`` is an Ed25519 public key as PEM (SubjectPublicKeyInfo) or as the 32 raw
key bytes in base64. A license's ``kid`` header picks the bundled key that must verify it.

Extra keys (PEM text, base64 raw text, or a path to a file holding either) exist for tests
and development. They carry no key id, so they are tried for any ``kid`` the bundled set
does not define; they can never stand in for a bundled ``kid``. In production mode extra
keys are refused with an error rather than silently ignored, so a misconfigured server
fails at start-up instead of trusting, or quietly not trusting, a key.
"""

import base64
import binascii
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .errors import ErrorCode, LicenseError

BUNDLED_KEYS_FILE = "vendor_keys.json"
KeySource = str | os.PathLike[str]


def _key_error(message: str) -> LicenseError:
    return LicenseError(ErrorCode.KEY_CONFIG, message)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """Parse an Ed25519 public key given as PEM or as base64 of the 32 raw bytes.

    Raises LicenseError(``key_config``) for anything else, including RSA/EC keys and
    private keys.
    """
    text = text.strip()
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError, TypeError) as exc:
            raise _key_error(f"Not a readable PEM public key ({exc}).") from None
        if not isinstance(key, Ed25519PublicKey):
            raise _key_error("The PEM key is not an Ed25519 public key.")
        return key
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise _key_error("Expected an Ed25519 public key as PEM or as 32 base64-encoded bytes.")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_public_key(source: KeySource) -> Ed25519PublicKey:
    """Load a public key from PEM text, base64 raw text, or a path to a file holding either.

    Raises LicenseError(``key_config``) when the text is no key and names no readable file.
    """
    if isinstance(source, str) and "-----BEGIN" in source:
        return parse_public_key(source)
    if isinstance(source, str):
        try:
            return parse_public_key(source)
        except LicenseError:
            pass  # not key text: try it as a file path below
    path = Path(source)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise _key_error(
            f"{str(path)[:80]!r} is neither an Ed25519 public key (PEM or base64 raw bytes) "
            f"nor a readable key file ({exc})."
        ) from None
    try:
        return parse_public_key(text)
    except LicenseError as exc:
        raise _key_error(f"{path}: {exc.message}") from None


def public_key_pem(key: Ed25519PublicKey) -> str:
    """The PEM (SubjectPublicKeyInfo) text of a public key."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


@dataclass(frozen=True)
class KeySet:
    """The public keys a license may be signed with.

    ``keys`` maps a key id (``kid``) to its key; ``extra_keys`` are development keys
    tried for a ``kid`` that ``keys`` does not define.
    """

    keys: Mapping[str, Ed25519PublicKey]
    extra_keys: tuple[Ed25519PublicKey, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))
        object.__setattr__(self, "extra_keys", tuple(self.extra_keys))

    @classmethod
    def load(
        cls,
        extra_keys: Iterable[KeySource] | KeySource | None = None,
        *,
        production: bool = True,
        path: KeySource | None = None,
    ) -> "KeySet":
        """Load the bundled key set (or the JSON file at ``path``) plus extra keys.

        Raises LicenseError(``key_config``) when the JSON file is unreadable or invalid,
        when an extra key cannot be loaded, or when extra keys are given with
        ``production=True``.
        """
        if isinstance(extra_keys, str | os.PathLike):
            extra_keys = [extra_keys]
        extras = list(extra_keys or [])
        if extras and production:
            raise _key_error(
                "Extra trusted license keys are only accepted outside production mode. "
                "Remove them from the configuration (OUTPOST_LICENSE_EXTRA_PUBLIC_KEYS) "
                "or turn production mode off for development."
            )
        bundled = cls.from_json(_read_key_file(path))
        return cls(bundled.keys, tuple(load_public_key(source) for source in extras))

    @classmethod
    def from_json(cls, text: str) -> "KeySet":
        """Parse key set JSON: ``{"keys": [{"kid": ..., "public_key": ...}]}``.

        Raises LicenseError(``key_config``) on invalid JSON, a missing field, a key
        that does not parse, or a duplicate ``kid``.
        """
        try:
            entries = json.loads(text)["keys"]
            pairs = [(entry["kid"], entry["public_key"]) for entry in entries]
        except (ValueError, KeyError, TypeError) as exc:
            raise _key_error(
                f"The license key set is not valid JSON of the form "
                f'{{"keys": [{{"kid": ..., "public_key": ...}}]}} ({exc}).'
            ) from None
        keys: dict[str, Ed25519PublicKey] = {}
        for kid, key_text in pairs:
            if not isinstance(kid, str) or not kid or not isinstance(key_text, str):
                raise _key_error("Every key in the license key set needs a kid and a public_key.")
            if kid in keys:
                raise _key_error(f"The license key set lists kid {kid!r} twice.")
            keys[kid] = parse_public_key(key_text)
        return cls(keys)

    @property
    def kids(self) -> tuple[str, ...]:
        """The key ids of the bundled (or explicitly given) keys, sorted."""
        return tuple(sorted(self.keys))

    def candidates(self, kid: str) -> tuple[Ed25519PublicKey, ...]:
        """The keys that may have signed a license with this ``kid`` (possibly none)."""
        if kid in self.keys:
            return (self.keys[kid],)
        return self.extra_keys


def _read_key_file(path: KeySource | None) -> str:
    try:
        if path is None:
            return (
                resources.files(__package__)
                .joinpath("keys", BUNDLED_KEYS_FILE)
                .read_text(encoding="utf-8")
            )
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _key_error(f"Cannot read the license key set: {exc}") from None
