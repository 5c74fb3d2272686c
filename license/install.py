"""The checks a license must pass before the server installs it (upload, API or file)."""

from datetime import datetime

from ._time import format_moment, require_aware
from .claims import License
from .errors import ErrorCode, LicenseError
from .keys import KeySet
from .status import check_instance, check_started
from .verify import verify_license


def validate_for_install(
    token: str,
    *,
    now: datetime,
    keyset: KeySet,
    instance_id: str,
    active_full_seat_users: int,
    current: License | None = None,
    allow_older: bool = False,
) -> License:
    """Check that ``token`` may replace the installed license, and return its claims.

    ``current`` is the installed license, if any; a license issued before it is refused
    unless the caller confirmed with ``allow_older=True``. Raises LicenseError with code
    ``malformed``, ``wrong_algorithm``, ``unknown_key``, ``bad_signature``,
    ``not_yet_valid``, ``expired``, ``wrong_instance``, ``insufficient_seats`` or
    ``older_license``; the message tells the operator what to do. Raises ValueError if
    ``now`` is naive.
    """
    now = require_aware(now)
    candidate = verify_license(token, keyset)
    check_started(candidate, now)
    _check_not_expired(candidate, now)
    check_instance(candidate, instance_id)
    _check_seats(candidate, active_full_seat_users)
    if current is not None and not allow_older:
        _check_not_older(candidate, current)
    return candidate


def _check_not_expired(candidate: License, now: datetime) -> None:
    # A grace period is for a license that lapsed while installed, not for new uploads.
    if candidate.expires_at <= now:
        raise LicenseError(
            ErrorCode.EXPIRED,
            f"This license expired on {format_moment(candidate.expires_at)}. "
            "Ask your vendor for a renewed license.",
        )


def _check_seats(candidate: License, active_full_seat_users: int) -> None:
    if candidate.seats < active_full_seat_users:
        excess = active_full_seat_users - candidate.seats
        raise LicenseError(
            ErrorCode.INSUFFICIENT_SEATS,
            f"This license allows {candidate.seats} full seats, but {active_full_seat_users} "
            f"active users hold one. Deactivate {excess} of them or change them to viewer "
            f"seats, or ask your vendor for a license with at least {active_full_seat_users} "
            "seats.",
        )


def _check_not_older(candidate: License, current: License) -> None:
    if candidate.issued_at < current.issued_at:
        raise LicenseError(
            ErrorCode.OLDER_LICENSE,
            f"This license ({candidate.license_id}) was issued on "
            f"{format_moment(candidate.issued_at)}, before the installed license "
            f"({current.license_id}, issued {format_moment(current.issued_at)}). "
            "Confirm the upload if you really want to replace the newer license.",
        )
