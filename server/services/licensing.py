"""The license in the server: where it comes from, what it allows now, and the feature gate.

The environment (``OUTPOST_LICENSE`` / ``OUTPOST_LICENSE_FILE``) wins over an uploaded license;
an uploaded token is kept in the database. Verification is done by the pure ``license``
package; this module adapts it to settings, the clock, seats and the audit log.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app, g, has_request_context

from license import KeySet, LicenseError, LicenseStatus, license_status, validate_for_install
from license import verify_license as _verify

from .. import clock
from ..errors import Conflict, Forbidden, ValidationFailed
from ..extensions import db
from . import audit, instance
from .seats import active_full_seats

_TOKEN_KEY = "license_token"
_KEYSET = "outpost_license_keyset"


def keyset() -> KeySet:
    """The trusted vendor keys: the bundled set, plus configured extra keys in development.

    Raises LicenseError (``key_config``) when extra keys are configured in production.
    """
    cached = current_app.extensions.get(_KEYSET)
    if cached is None:
        settings = current_app.config["OUTPOST"]
        production = settings.env == "production"
        extra = settings.license_extra_public_keys or None
        cached = KeySet.load(extra_keys=extra, production=production)
        current_app.extensions[_KEYSET] = cached
    return cached


def signed_by_development_key(status: LicenseStatus) -> bool:
    """True when the license verified only against an extra (development) key, not a bundled
    vendor key: a test license that must never run a production instance."""
    lic = status.license
    return lic is not None and lic.key_id not in keyset().keys


def environment_token() -> str | None:
    """The license given by the environment, if any (token wins over file)."""
    settings = current_app.config["OUTPOST"]
    if settings.license.strip():
        return settings.license.strip()
    if settings.license_file:
        try:
            return Path(settings.license_file).read_text().strip() or None
        except OSError as exc:
            current_app.logger.error("cannot read OUTPOST_LICENSE_FILE: %s", exc)
            return None
    return None


def license_source() -> str:
    """``environment``, ``database`` or ``none``."""
    if environment_token():
        return "environment"
    return "database" if instance.get_value(_TOKEN_KEY) else "none"


def _installed_token() -> str | None:
    return environment_token() or instance.get_value(_TOKEN_KEY)


def current_status() -> LicenseStatus:
    """The license status now (computed once per request)."""
    if has_request_context() and "_license_status" in g:
        return g._license_status
    status = license_status(
        _installed_token(), now=clock.now(), keyset=keyset(), instance_id=instance.instance_id()
    )
    if has_request_context():
        g._license_status = status
    return status


def require_feature(feature: str) -> None:
    """Refuse an enterprise *management* action unless the license allows ``feature`` now.

    Raises Forbidden with code ``license_expired`` when the license granted the feature but
    its grace period is over, and ``license_required`` otherwise. Existing data and
    assignments are never checked here: they keep working whatever the license does.
    """
    status = current_status()
    if status.allows_management(feature):
        return
    if status.has_feature(feature) and status.license is not None and status.state == "expired":
        raise Forbidden(
            f"The license expired and its grace period is over, so '{feature}' can no longer be "
            "managed. Existing data keeps working. Upload a renewed license to continue.",
            code="license_expired",
            feature=feature,
        )
    raise Forbidden(
        f"This needs an enterprise license with the '{feature}' feature. "
        "A system admin can upload one under Admin › License.",
        code="license_required",
        feature=feature,
    )


def seat_limit() -> int | None:
    """Licensed full seats, or None (free edition: no limit)."""
    status = current_status()
    if status.license is None or status.state == "invalid":
        return None
    return status.license.seats


def install_license(token: str, *, allow_older: bool = False) -> LicenseStatus:
    """Verify and store an uploaded license.

    Raises Conflict (``managed_by_environment``) when the environment provides the license and
    ValidationFailed with the license error's code (``bad_signature``, ``expired``,
    ``insufficient_seats``, ``older_license``...) when the token is refused.
    """
    token = (token or "").strip()
    if environment_token():
        raise Conflict(
            "The license is managed by the environment (OUTPOST_LICENSE or OUTPOST_LICENSE_FILE);"
            " change it there.",
            code="managed_by_environment",
        )
    current_token = instance.get_value(_TOKEN_KEY)
    current = None
    if current_token:
        try:
            current = _verify(current_token, keyset())
        except LicenseError:
            current = None
    try:
        accepted = validate_for_install(
            token,
            now=clock.now(),
            keyset=keyset(),
            instance_id=instance.instance_id(),
            active_full_seat_users=active_full_seats(),
            current=current,
            allow_older=allow_older,
        )
    except LicenseError as exc:
        audit.record_now(
            "license:install",
            result="failure",
            target_type="license",
            details={"reason": exc.code.value if hasattr(exc.code, "value") else str(exc.code)},
        )
        raise ValidationFailed(exc.message, code=str(exc.code)) from None
    instance.set_value(_TOKEN_KEY, token)
    audit.record(
        "license:replace" if current_token else "license:install",
        target_type="license",
        target_id=accepted.license_id,
        target_name=accepted.customer_name,
        details={"expires_at": accepted.expires_at.isoformat(), "seats": accepted.seats},
    )
    db.session.commit()
    if has_request_context():
        g.pop("_license_status", None)
    return current_status()


def remove_license() -> None:
    """Return to the free edition. Raises Conflict when the environment manages the license."""
    if environment_token():
        raise Conflict(
            "The license is managed by the environment; remove OUTPOST_LICENSE there.",
            code="managed_by_environment",
        )
    if instance.get_value(_TOKEN_KEY) is None:
        return
    instance.delete_value(_TOKEN_KEY)
    audit.record("license:remove", target_type="license")
    db.session.commit()
    if has_request_context():
        g.pop("_license_status", None)
