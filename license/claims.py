"""What a license says: the claims inside the signed token.

A license is a compact JWT signed with Ed25519 (``alg: EdDSA``). Its header carries
``kid``, the id of the vendor key that signed it. Its payload carries these claims:

==================  ========  ==============================================================
claim               required  meaning
==================  ========  ==============================================================
``jti``             yes       license id (string), unique per issued license
``customer_name``   yes       the customer the license was issued to
``customer_email``  yes       the customer's contact address
``iat``             yes       issued at (seconds since the epoch, UTC)
``nbf``             yes       not valid before (seconds since the epoch, UTC)
``exp``             yes       expiry (seconds since the epoch, UTC)
``seats``           yes       how many users may hold a full seat (int >= 0)
``max_teams``       no        how many teams may exist; ``null`` or absent = unlimited
``features``        no        enterprise features granted (list of strings, default ``[]``)
``trial``           no        ``true`` for an evaluation license (default ``false``)
``grace_days``      no        days after ``exp`` during which everything keeps working
                              (int >= 0, default 14)
``instance_id``     no        when set, the license only installs on that Outpost instance
==================  ========  ==============================================================

Known features are listed in :class:`Feature`. A feature this version does not know is
kept and shown (a newer vendor tool may grant features a newer server understands); it
is never an error. Claims not in the table are ignored.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ._time import DAY, from_timestamp, to_timestamp
from .errors import ErrorCode, LicenseError

DEFAULT_GRACE_DAYS = 14


class Feature(StrEnum):
    """Enterprise features this version of Outpost knows how to gate."""

    CUSTOM_ROLES = "custom_roles"
    SECURE_STORAGE_CONNECTOR = "secure_storage_connector"
    SERVICE_ACCOUNTS = "service_accounts"
    VIEW_ONLY = "view_only"


KNOWN_FEATURES = frozenset(feature.value for feature in Feature)


@dataclass(frozen=True)
class License:
    """The verified claims of one license. Build it with :meth:`from_claims`."""

    license_id: str
    customer_name: str
    customer_email: str
    issued_at: datetime
    not_before: datetime
    expires_at: datetime
    seats: int
    max_teams: int | None = None
    features: frozenset[str] = frozenset()
    trial: bool = False
    grace_days: int = DEFAULT_GRACE_DAYS
    instance_id: str | None = None
    # From the token header, not a claim: which vendor key signed the license.
    key_id: str | None = field(default=None, compare=False)

    @property
    def grace_ends_at(self) -> datetime:
        """When the grace period after expiry ends."""
        return self.expires_at + self.grace_days * DAY

    @property
    def unknown_features(self) -> frozenset[str]:
        """Granted features this version of Outpost does not know."""
        return self.features - KNOWN_FEATURES

    def to_claims(self) -> dict[str, Any]:
        """The JWT payload for this license (what the vendor tool signs)."""
        claims: dict[str, Any] = {
            "jti": self.license_id,
            "customer_name": self.customer_name,
            "customer_email": self.customer_email,
            "iat": to_timestamp(self.issued_at),
            "nbf": to_timestamp(self.not_before),
            "exp": to_timestamp(self.expires_at),
            "seats": self.seats,
            "max_teams": self.max_teams,
            "features": sorted(self.features),
            "trial": self.trial,
            "grace_days": self.grace_days,
        }
        if self.instance_id is not None:
            claims["instance_id"] = self.instance_id
        return claims

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], *, key_id: str | None = None) -> "License":
        """Check the types of a decoded payload and build a License.

        Raises LicenseError(``malformed``) naming the first claim that is missing or
        has the wrong type. It does not check the signature or the dates against a
        clock; see :func:`license.verify_license` and :func:`license.license_status`.
        """
        issued_at = _time_claim(claims, "iat")
        not_before = _time_claim(claims, "nbf")
        expires_at = _time_claim(claims, "exp")
        if expires_at <= not_before:
            raise _malformed("its expiry (exp) is not after its start (nbf)")
        return cls(
            license_id=_text_claim(claims, "jti"),
            customer_name=_text_claim(claims, "customer_name"),
            customer_email=_text_claim(claims, "customer_email"),
            issued_at=issued_at,
            not_before=not_before,
            expires_at=expires_at,
            seats=_count_claim(claims, "seats"),
            max_teams=_optional_count_claim(claims, "max_teams"),
            features=_features_claim(claims.get("features", [])),
            trial=_bool_claim(claims, "trial"),
            grace_days=_count_claim(claims, "grace_days", default=DEFAULT_GRACE_DAYS),
            instance_id=_optional_text_claim(claims, "instance_id"),
            key_id=key_id,
        )


def _malformed(problem: str) -> LicenseError:
    return LicenseError(
        ErrorCode.MALFORMED,
        f"The license is malformed: {problem}. Ask your vendor to issue it again.",
    )


def _text_claim(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value.strip():
        raise _malformed(f"claim '{name}' must be a non-empty string")
    return value


def _optional_text_claim(claims: Mapping[str, Any], name: str) -> str | None:
    if claims.get(name) is None:
        return None
    return _text_claim(claims, name)


def _is_int(value: object) -> bool:
    # bool is a subclass of int; `true` is not a seat count.
    return isinstance(value, int) and not isinstance(value, bool)


def _count_claim(claims: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = claims.get(name, default)
    if not _is_int(value) or value < 0:
        raise _malformed(f"claim '{name}' must be a whole number, zero or more")
    return value


def _optional_count_claim(claims: Mapping[str, Any], name: str) -> int | None:
    if claims.get(name) is None:
        return None
    return _count_claim(claims, name)


def _bool_claim(claims: Mapping[str, Any], name: str) -> bool:
    value = claims.get(name, False)
    if not isinstance(value, bool):
        raise _malformed(f"claim '{name}' must be true or false")
    return value


def _time_claim(claims: Mapping[str, Any], name: str) -> datetime:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _malformed(f"claim '{name}' must be a time in seconds since the epoch")
    try:
        return from_timestamp(value)
    except (OverflowError, OSError, ValueError):
        raise _malformed(f"claim '{name}' is out of range") from None


def _features_claim(value: object) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise _malformed("claim 'features' must be a list of feature names")
    return frozenset(value)
