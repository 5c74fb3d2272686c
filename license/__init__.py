"""Outpost license verification (pure Python: no Flask, no database).

:func:`verify_license` checks a token's signature against a :class:`KeySet`
(``KeySet.load(...)``) and returns its claims, documented in :mod:`license.claims`.
"""

from .claims import DEFAULT_GRACE_DAYS, KNOWN_FEATURES, Feature, License
from .errors import ErrorCode, LicenseError
from .keys import KeySet, load_public_key, parse_public_key
from .verify import ALGORITHM, verify_license

__all__ = [
    "ALGORITHM",
    "DEFAULT_GRACE_DAYS",
    "KNOWN_FEATURES",
    "ErrorCode",
    "Feature",
    "KeySet",
    "License",
    "LicenseError",
    "load_public_key",
    "parse_public_key",
    "verify_license",
]
