"""Encryption at rest for secrets the server must use again (storage connector credentials).

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with a key derived from
``OUTPOST_ENCRYPTION_KEY`` when set, else from the secret key. Rotating the secret key without
setting an encryption key makes stored connector credentials unreadable, hence the separate
setting for production.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from ..errors import OutpostError


def _fernet() -> Fernet:
    material = current_app.config["OUTPOST"].encryption_key or current_app.config["SECRET_KEY"]
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"outpost connector credentials"
    ).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def unseal(token: str) -> dict[str, str]:
    """Raises OutpostError (``credentials_unreadable``) when the key changed."""
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        error = OutpostError(
            "Stored storage credentials cannot be decrypted: the encryption key changed.",
            code="credentials_unreadable",
        )
        error.status = 500
        raise error from None
