"""Where a license stands at a given moment: the status the server gates features on.

Every function takes ``now`` so each phase can be tested without waiting:

* ``valid``          signed, started, and more than 30 days before expiry
* ``expiring_soon``  30 days or less before expiry: everything works, show a warning
* ``in_grace``       after expiry but within ``grace_days``: everything works, show a banner
* ``expired``        after the grace period: enterprise *management* is refused
* ``invalid``        not trusted: bad signature, unknown key, not yet valid, other instance
* ``unlicensed``     no license installed: the free edition

The edition is ``enterprise`` only while enterprise management is allowed (valid,
expiring_soon, in_grace) and ``free`` otherwise, so gating on the edition fails closed.
After expiry the granted ``features`` are still reported, so the server can keep existing
data from those features working while refusing to manage more of it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ._time import format_moment, require_aware, whole_days
from .claims import License
from .errors import ErrorCode, LicenseError
from .keys import KeySet
from .verify import verify_license

EXPIRY_WARNING = timedelta(days=30)
# Tolerated clock difference between the vendor's machine and the server.
CLOCK_LEEWAY = timedelta(minutes=5)


class LicenseState(StrEnum):
    UNLICENSED = "unlicensed"
    VALID = "valid"
    EXPIRING_SOON = "expiring_soon"
    IN_GRACE = "in_grace"
    EXPIRED = "expired"
    INVALID = "invalid"


class Edition(StrEnum):
    ENTERPRISE = "enterprise"
    FREE = "free"


MANAGEMENT_STATES = frozenset(
    {LicenseState.VALID, LicenseState.EXPIRING_SOON, LicenseState.IN_GRACE}
)


@dataclass(frozen=True)
class LicenseStatus:
    """What the server should do with its license right now.

    ``license`` is set whenever the signature verified (also when the license is not
    yet valid, bound elsewhere, or expired) and None otherwise. ``days_left`` counts
    whole days to expiry, rounded down (negative after it); ``grace_days_left`` is None
    before expiry, whole days left in the grace period during it, and 0 after it. Both
    are None when unlicensed or invalid. ``error_code`` is set only for ``invalid``.
    """

    state: LicenseState
    edition: Edition
    license: License | None
    features: frozenset[str]
    days_left: int | None
    grace_days_left: int | None
    reason: str
    error_code: ErrorCode | None = None

    def allows_management(self, feature: str) -> bool:
        """May an admin create or change things that use this enterprise feature?"""
        return self.state in MANAGEMENT_STATES and feature in self.features

    def has_feature(self, feature: str) -> bool:
        """Was this feature ever granted by the installed license, even if expired?"""
        return feature in self.features

    @property
    def needs_attention(self) -> bool:
        """Should the console show a warning banner?"""
        return self.state not in (LicenseState.VALID, LicenseState.UNLICENSED)


def feature_enabled(status: LicenseStatus, feature: str) -> bool:
    """Same as ``status.allows_management(feature)``."""
    return status.allows_management(feature)


def free_status() -> LicenseStatus:
    """The status of a server with no license installed."""
    return LicenseStatus(
        state=LicenseState.UNLICENSED,
        edition=Edition.FREE,
        license=None,
        features=frozenset(),
        days_left=None,
        grace_days_left=None,
        reason="No license is installed: Outpost runs as the free edition. "
        "Upload an enterprise license to enable enterprise features.",
    )


def license_status(
    token: str | None, *, now: datetime, keyset: KeySet, instance_id: str | None = None
) -> LicenseStatus:
    """Verify ``token`` and place it in its phase at ``now``. Never raises LicenseError.

    No token (None or blank) gives :func:`free_status`; a token that fails any check
    gives an ``invalid`` status whose ``reason`` says why. Raises ValueError if ``now``
    is naive.
    """
    now = require_aware(now)
    if token is None or (isinstance(token, str) and not token.strip()):
        return free_status()
    try:
        verified = verify_license(token, keyset)
    except LicenseError as exc:
        return _invalid(exc, None)
    return status_for_license(verified, now=now, instance_id=instance_id)


def status_for_license(
    license: License, *, now: datetime, instance_id: str | None = None
) -> LicenseStatus:
    """Place an already verified license in its phase at ``now``.

    ``instance_id`` (when given) must match the license's binding. Raises ValueError if
    ``now`` is naive.
    """
    now = require_aware(now)
    try:
        check_started(license, now)
        if instance_id is not None:
            check_instance(license, instance_id)
    except LicenseError as exc:
        return _invalid(exc, license)
    return _phase(license, now)


def check_started(license: License, now: datetime) -> None:
    """Raises LicenseError(``not_yet_valid``) if the license starts after ``now``."""
    start = max(license.not_before, license.issued_at)
    if start > now + CLOCK_LEEWAY:
        raise LicenseError(
            ErrorCode.NOT_YET_VALID,
            f"This license is not valid before {format_moment(start)}, and this server's "
            f"clock says {format_moment(now)}. Install it on or after that date, or fix "
            "the server's clock if that date has passed.",
        )


def check_instance(license: License, instance_id: str) -> None:
    """Raises LicenseError(``wrong_instance``) if the license is bound to another instance."""
    if license.instance_id is not None and license.instance_id != instance_id:
        raise LicenseError(
            ErrorCode.WRONG_INSTANCE,
            f"This license was issued for instance {license.instance_id!r} but this server "
            f"is {instance_id!r}. Ask your vendor for a license bound to {instance_id!r}.",
        )


def _invalid(error: LicenseError, license: License | None) -> LicenseStatus:
    return LicenseStatus(
        state=LicenseState.INVALID,
        edition=Edition.FREE,
        license=license,
        features=frozenset(),
        days_left=None,
        grace_days_left=None,
        reason=error.message,
        error_code=error.code,
    )


def _phase(license: License, now: datetime) -> LicenseStatus:
    days_left = whole_days(license.expires_at - now)
    grace_days_left: int | None = None
    if now < license.expires_at:
        soon = license.expires_at - now <= EXPIRY_WARNING
        state = LicenseState.EXPIRING_SOON if soon else LicenseState.VALID
    elif now < license.grace_ends_at:
        state = LicenseState.IN_GRACE
        grace_days_left = whole_days(license.grace_ends_at - now)
    else:
        state = LicenseState.EXPIRED
        grace_days_left = 0
    active = state in MANAGEMENT_STATES
    return LicenseStatus(
        state=state,
        edition=Edition.ENTERPRISE if active else Edition.FREE,
        license=license,
        features=license.features,
        days_left=days_left,
        grace_days_left=grace_days_left,
        reason=_reason(state, license, days_left, grace_days_left),
    )


def _days(count: int) -> str:
    if count < 1:
        return "less than a day"
    return f"{count} day" if count == 1 else f"{count} days"


def _reason(state: LicenseState, license: License, days_left: int, grace_left: int | None) -> str:
    kind = "trial license" if license.trial else "enterprise license"
    expires = format_moment(license.expires_at)
    grace_ends = format_moment(license.grace_ends_at)
    if state is LicenseState.VALID:
        return f"The {kind} for {license.customer_name} is valid until {expires}."
    if state is LicenseState.EXPIRING_SOON:
        return (
            f"The {kind} expires on {expires} ({_days(days_left)} left). Ask your vendor "
            "for a renewal and upload it before then."
        )
    if state is LicenseState.IN_GRACE:
        return (
            f"The {kind} expired on {expires}. Everything keeps working during the grace "
            f"period, which ends on {grace_ends} ({_days(grace_left or 0)} left). Upload a "
            "renewed license before then to keep managing enterprise features."
        )
    return (
        f"The {kind} expired on {expires} and its grace period ended on {grace_ends}. "
        "Existing data and settings keep working, but creating or changing enterprise "
        "features is refused until a renewed license is uploaded."
    )
