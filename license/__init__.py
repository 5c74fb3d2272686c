"""Outpost license verification (pure Python: no Flask, no database).

The server calls :func:`license_status` to learn what the installed license allows at a
moment, and :func:`validate_for_install` before it accepts an uploaded license. Both take
a :class:`KeySet` (``KeySet.load(...)``) and an aware ``now``. The vendor tool lives in
``python -m license`` (see ``license/README.md``); claims are documented in
:mod:`license.claims`, states in :mod:`license.status`.
"""

from .claims import DEFAULT_GRACE_DAYS, KNOWN_FEATURES, Feature, License
from .errors import ErrorCode, LicenseError
from .install import validate_for_install
from .keys import KeySet, load_public_key, parse_public_key
from .render import license_to_dict, status_to_dict, status_to_text
from .status import (
    CLOCK_LEEWAY,
    EXPIRY_WARNING,
    Edition,
    LicenseState,
    LicenseStatus,
    feature_enabled,
    free_status,
    license_status,
    status_for_license,
)
from .verify import ALGORITHM, verify_license

__all__ = [
    "ALGORITHM",
    "CLOCK_LEEWAY",
    "DEFAULT_GRACE_DAYS",
    "EXPIRY_WARNING",
    "KNOWN_FEATURES",
    "Edition",
    "ErrorCode",
    "Feature",
    "KeySet",
    "License",
    "LicenseError",
    "LicenseState",
    "LicenseStatus",
    "feature_enabled",
    "free_status",
    "license_status",
    "license_to_dict",
    "load_public_key",
    "parse_public_key",
    "status_for_license",
    "status_to_dict",
    "status_to_text",
    "validate_for_install",
    "verify_license",
]
