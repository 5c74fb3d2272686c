"""Vendor side: make key pairs and sign licenses. The server never calls this."""

import os
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .claims import License
from .errors import ErrorCode, LicenseError
from .keys import public_key_pem
from .verify import ALGORITHM


def generate_private_key() -> Ed25519PrivateKey:
    """A new Ed25519 signing key."""
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> str:
    """Unencrypted PKCS#8 PEM text of a private key. Keep it out of version control."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Read an Ed25519 private key PEM file.

    Raises LicenseError(``key_config``) if the file is unreadable or not an Ed25519
    private key.
    """
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise LicenseError(ErrorCode.KEY_CONFIG, f"Cannot load private key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LicenseError(ErrorCode.KEY_CONFIG, f"{path} is not an Ed25519 private key.")
    return key


def write_key_pair(
    key: Ed25519PrivateKey,
    *,
    private_path: str | os.PathLike[str],
    public_path: str | os.PathLike[str],
    force: bool = False,
) -> None:
    """Write the private key (mode 0600) and its public key (PEM) to two files.

    Raises FileExistsError if either file exists and ``force`` is false; nothing is
    written in that case. Raises OSError if a file cannot be written.
    """
    private_path, public_path = Path(private_path), Path(public_path)
    if not force:
        for path in (private_path, public_path):
            if path.exists():
                raise FileExistsError(f"{path} already exists; pass --force to overwrite it")
    _write_new_file(private_path, private_key_pem(key), mode=0o600)
    _write_new_file(public_path, public_key_pem(key.public_key()), mode=0o644)


def _write_new_file(path: Path, text: str, *, mode: int) -> None:
    # Remove then create exclusively, so an overwritten private key never keeps the
    # wider permissions of the file it replaces.
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        os.fchmod(handle.fileno(), mode)
        handle.write(text)


def new_license_id() -> str:
    """A fresh, unguessable license id."""
    return f"lic_{uuid.uuid4().hex}"


def sign_license(license: License, private_key: Ed25519PrivateKey, *, kid: str) -> str:
    """The compact JWT for ``license``, signed with ``private_key`` under key id ``kid``."""
    return jwt.encode(
        license.to_claims(),
        private_key,
        algorithm=ALGORITHM,
        headers={"kid": kid, "typ": "JWT"},
    )
