"""Signature verification: is this token a license one of our vendor keys signed?

Only ``EdDSA`` (Ed25519) is accepted. The algorithm is fixed here and never taken from
the token, so ``alg: none`` and HMAC tokens forged with the public key as the secret are
refused before any key is used. Dates are not checked here: a correctly signed but
expired license still verifies, so the server can show that it expired and when.
"""

from typing import Any

import jwt

from .claims import License
from .errors import ErrorCode, LicenseError
from .keys import KeySet

ALGORITHM = "EdDSA"
# A real license is well under 2 KB; the cap keeps garbage uploads cheap to refuse.
MAX_TOKEN_LENGTH = 16_384

# Signature only: time claims are judged by license_status/validate_for_install against
# the clock they are given, and claim types by License.from_claims.
_DECODE_OPTIONS: Any = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


def verify_license(token: str, keyset: KeySet) -> License:
    """Verify a license token's signature and return its claims.

    Raises LicenseError with code ``malformed`` (not a JWT, or claims of the wrong shape),
    ``wrong_algorithm`` (anything but EdDSA), ``unknown_key`` (no ``kid``, or a ``kid``
    no trusted key answers to) or ``bad_signature`` (the key for that ``kid`` did not
    sign this exact token).
    """
    token = clean_token(token)
    header = _read_header(token)
    kid = _key_id(header, keyset)
    payload = _decode(token, kid, keyset)
    return License.from_claims(payload, key_id=kid)


def clean_token(token: object) -> str:
    """Strip whitespace around a pasted token. Raises LicenseError(``malformed``)."""
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise _malformed("it is not text") from None
    if not isinstance(token, str) or not token.strip():
        raise _malformed("it is empty")
    token = token.strip()
    if len(token) > MAX_TOKEN_LENGTH:
        raise _malformed("it is far longer than any license")
    return token


def read_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a token WITHOUT checking the signature, for display only.

    Raises LicenseError(``malformed``) when the token cannot be decoded at all.
    """
    token = clean_token(token)
    try:
        header = jwt.get_unverified_header(token)
        payload = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise _malformed(str(exc)) from None
    return header, payload


def _malformed(problem: str) -> LicenseError:
    return LicenseError(
        ErrorCode.MALFORMED,
        f"This is not a valid license token: {problem}. "
        "Paste or upload the whole license exactly as your vendor sent it.",
    )


def _read_header(token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise _malformed(str(exc)) from None
    algorithm = header.get("alg")
    if algorithm != ALGORITHM:
        raise LicenseError(
            ErrorCode.WRONG_ALGORITHM,
            f"This license is signed with algorithm {algorithm!r}, but Outpost licenses are "
            f"signed with {ALGORITHM} (Ed25519) only. It was not issued by your vendor; "
            "ask them for a new license.",
        )
    return header


def _key_id(header: dict[str, Any], keyset: KeySet) -> str:
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise LicenseError(
            ErrorCode.UNKNOWN_KEY,
            "This license does not say which vendor key signed it (no 'kid' header). "
            "Ask your vendor for a license made with their issuing tool.",
        )
    if not keyset.candidates(kid):
        raise _unknown_key(kid)
    return kid


def _unknown_key(kid: str) -> LicenseError:
    return LicenseError(
        ErrorCode.UNKNOWN_KEY,
        f"This license was signed with vendor key {kid!r}, which this Outpost version does "
        "not trust. Upgrade Outpost if your vendor rotated keys, or ask them to reissue "
        "the license with a current key.",
    )


def _decode(token: str, kid: str, keyset: KeySet) -> dict[str, Any]:
    for key in keyset.candidates(kid):
        try:
            return jwt.decode(token, key, algorithms=[ALGORITHM], options=_DECODE_OPTIONS)
        except jwt.InvalidSignatureError:
            continue  # an extra (development) key may still match
        except jwt.InvalidTokenError as exc:
            raise _malformed(str(exc)) from None
    raise LicenseError(
        ErrorCode.BAD_SIGNATURE,
        f"The signature of this license does not match vendor key {kid!r}: it was altered "
        "or not signed by your vendor. Upload the license exactly as you received it, or "
        "ask your vendor for a new copy.",
    )
