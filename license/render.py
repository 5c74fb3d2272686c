"""Readable and JSON descriptions of a license status, for the vendor tool and the console."""

from typing import Any

from ._time import format_moment
from .claims import License
from .status import LicenseStatus

_STATE_TITLES = {
    "unlicensed": "no license",
    "valid": "valid",
    "expiring_soon": "expiring soon",
    "in_grace": "expired, in grace period",
    "expired": "expired",
    "invalid": "INVALID",
}


def license_to_dict(license: License) -> dict[str, Any]:
    """JSON-ready claims, with times as ISO 8601 strings in UTC."""
    return {
        "license_id": license.license_id,
        "key_id": license.key_id,
        "customer_name": license.customer_name,
        "customer_email": license.customer_email,
        "issued_at": license.issued_at.isoformat(),
        "not_before": license.not_before.isoformat(),
        "expires_at": license.expires_at.isoformat(),
        "grace_days": license.grace_days,
        "grace_ends_at": license.grace_ends_at.isoformat(),
        "seats": license.seats,
        "max_teams": license.max_teams,
        "features": sorted(license.features),
        "unknown_features": sorted(license.unknown_features),
        "trial": license.trial,
        "instance_id": license.instance_id,
    }


def status_to_dict(status: LicenseStatus) -> dict[str, Any]:
    """JSON-ready status: state, edition, reason, counters and the verified claims."""
    return {
        "state": status.state.value,
        "edition": status.edition.value,
        "reason": status.reason,
        "error_code": status.error_code.value if status.error_code else None,
        "days_left": status.days_left,
        "grace_days_left": status.grace_days_left,
        "verified": status.license is not None,
        "license": license_to_dict(status.license) if status.license else None,
    }


def status_to_text(status: LicenseStatus) -> str:
    """A few aligned lines a person can read in a terminal."""
    lines = [
        f"State:       {_STATE_TITLES[status.state.value]}",
        f"Edition:     {status.edition.value}",
        f"Reason:      {status.reason}",
    ]
    if status.error_code:
        lines.append(f"Error code:  {status.error_code.value}")
    if status.license is not None:
        lines.extend(_license_lines(status.license, status))
    return "\n".join(lines)


def _license_lines(license: License, status: LicenseStatus) -> list[str]:
    features = ", ".join(sorted(license.features)) or "none"
    unknown = sorted(license.unknown_features)
    if unknown:
        features += f"  (not known to this version: {', '.join(unknown)})"
    lines = [
        f"License ID:  {license.license_id}",
        f"Signed by:   {license.key_id}",
        f"Customer:    {license.customer_name} <{license.customer_email}>",
        f"Issued:      {format_moment(license.issued_at)}",
        f"Not before:  {format_moment(license.not_before)}",
        f"Expires:     {format_moment(license.expires_at)}" + _days_suffix(status.days_left),
        f"Grace:       {license.grace_days} days, until {format_moment(license.grace_ends_at)}",
        f"Seats:       {license.seats}",
        f"Max teams:   {'unlimited' if license.max_teams is None else license.max_teams}",
        f"Features:    {features}",
        f"Trial:       {'yes' if license.trial else 'no'}",
        f"Instance:    {license.instance_id or 'any'}",
    ]
    return lines


def _days_suffix(days_left: int | None) -> str:
    if days_left is None:
        return ""
    if days_left >= 0:
        return f"  ({days_left} days left)"
    return f"  ({-days_left} days ago)"
