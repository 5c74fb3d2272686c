"""The one exception the license package raises, and its machine-readable codes."""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Why a license (or a key configuration) was refused.

    Values are plain strings, so ``error.code == "expired"`` works as well as
    ``error.code is ErrorCode.EXPIRED``.
    """

    MALFORMED = "malformed"
    WRONG_ALGORITHM = "wrong_algorithm"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_INSTANCE = "wrong_instance"
    INSUFFICIENT_SEATS = "insufficient_seats"
    OLDER_LICENSE = "older_license"
    KEY_CONFIG = "key_config"


class LicenseError(Exception):
    """A license or key set was refused.

    ``code`` is an :class:`ErrorCode` for programs; ``message`` is a sentence for a
    person that says what went wrong and what to do about it.
    """

    def __init__(self, code: ErrorCode | str, message: str) -> None:
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message

    def __repr__(self) -> str:
        return f"LicenseError({self.code.value!r}, {self.message!r})"
