"""Password hashing with Argon2id (argon2-cffi) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import ValidationFailed

_hasher = PasswordHasher()
# Compared against when a user does not exist, so a failed sign-in takes the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_policy(password: str) -> None:
    """Raise ValidationFailed when ``password`` is too short or too long."""
    from .system_settings import get_setting

    minimum = get_setting("password_min_length")
    if len(password) < minimum:
        raise ValidationFailed(
            f"Passwords need at least {minimum} characters.", code="weak_password"
        )
    if len(password) > 1024:
        raise ValidationFailed("Passwords may have at most 1024 characters.", code="weak_password")


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
