"""License states over time, with a controlled clock."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from license import (
    Edition,
    ErrorCode,
    Feature,
    LicenseState,
    feature_enabled,
    free_status,
    license_status,
    status_for_license,
)

EXPIRES = datetime(2027, 1, 1, tzinfo=UTC)
ISSUED = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def token(issue):
    return issue(issued_at=ISSUED, not_before=ISSUED, expires_at=EXPIRES)


def status_at(token, keyset, moment, **kwargs):
    return license_status(token, now=moment, keyset=keyset, **kwargs)


@pytest.mark.parametrize(
    "moment, state, days_left, grace_days_left",
    [
        (ISSUED, LicenseState.VALID, 365, None),
        (EXPIRES - timedelta(days=30, seconds=1), LicenseState.VALID, 30, None),
        (EXPIRES - timedelta(days=30), LicenseState.EXPIRING_SOON, 30, None),
        (EXPIRES - timedelta(days=1), LicenseState.EXPIRING_SOON, 1, None),
        (EXPIRES - timedelta(seconds=1), LicenseState.EXPIRING_SOON, 0, None),
        (EXPIRES, LicenseState.IN_GRACE, 0, 14),
        (EXPIRES + timedelta(days=3), LicenseState.IN_GRACE, -3, 11),
        (EXPIRES + timedelta(days=14, seconds=-1), LicenseState.IN_GRACE, -14, 0),
        (EXPIRES + timedelta(days=14), LicenseState.EXPIRED, -14, 0),
        (EXPIRES + timedelta(days=400), LicenseState.EXPIRED, -400, 0),
    ],
)
def test_phases(token, keyset, moment, state, days_left, grace_days_left):
    status = status_at(token, keyset, moment)
    assert status.state is state
    assert status.days_left == days_left
    assert status.grace_days_left == grace_days_left
    assert status.error_code is None
    assert status.license is not None and status.license.license_id == "lic_test_0001"


def test_valid_allows_management_of_granted_features_only(token, keyset):
    status = status_at(token, keyset, ISSUED + timedelta(days=10))
    assert status.edition is Edition.ENTERPRISE
    assert status.allows_management(Feature.CUSTOM_ROLES)
    assert status.allows_management("service_accounts")
    assert not status.allows_management(Feature.VIEW_ONLY)
    assert not status.allows_management(Feature.SECURE_STORAGE_CONNECTOR)
    assert not status.needs_attention
    assert "valid until 2027-01-01" in status.reason


@pytest.mark.parametrize(
    "moment, state",
    [
        (EXPIRES - timedelta(days=5), LicenseState.EXPIRING_SOON),
        (EXPIRES + timedelta(days=5), LicenseState.IN_GRACE),
    ],
)
def test_warning_phases_keep_everything_working(token, keyset, moment, state):
    status = status_at(token, keyset, moment)
    assert status.state is state
    assert status.edition is Edition.ENTERPRISE
    assert feature_enabled(status, "custom_roles")
    assert status.needs_attention
    assert "2027-01-01" in status.reason


def test_in_grace_reason_says_when_grace_ends(token, keyset):
    status = status_at(token, keyset, EXPIRES + timedelta(days=4))
    assert "2027-01-15" in status.reason
    assert "10 days left" in status.reason


def test_after_grace_management_is_refused_but_features_are_remembered(token, keyset):
    status = status_at(token, keyset, EXPIRES + timedelta(days=20))
    assert status.state is LicenseState.EXPIRED
    assert status.edition is Edition.FREE
    assert not status.allows_management("custom_roles")
    assert not feature_enabled(status, "custom_roles")
    assert status.has_feature("custom_roles")
    assert status.needs_attention
    assert "grace period ended on 2027-01-15" in status.reason


@pytest.mark.parametrize("grace_days", [0, 3, 60])
def test_custom_grace_days(issue, keyset, grace_days):
    token = issue(issued_at=ISSUED, not_before=ISSUED, expires_at=EXPIRES, grace_days=grace_days)
    last_grace_moment = EXPIRES + timedelta(days=grace_days) - timedelta(seconds=1)
    if grace_days:
        assert status_at(token, keyset, last_grace_moment).state is LicenseState.IN_GRACE
    end = EXPIRES + timedelta(days=grace_days)
    assert status_at(token, keyset, end).state is LicenseState.EXPIRED
    assert status_at(token, keyset, EXPIRES).grace_days_left == grace_days


def test_no_license_is_the_free_edition(keyset, now):
    for token in (None, "", "  \n"):
        status = license_status(token, now=now, keyset=keyset)
        assert status == free_status()
    status = free_status()
    assert status.state is LicenseState.UNLICENSED
    assert status.edition is Edition.FREE
    assert status.license is None
    assert not status.allows_management("custom_roles")
    assert not status.needs_attention
    assert "free edition" in status.reason


def test_untrusted_license_is_invalid_with_the_error(issue, keyset, now):
    status = license_status(issue(key=Ed25519PrivateKey.generate()), now=now, keyset=keyset)
    assert status.state is LicenseState.INVALID
    assert status.error_code is ErrorCode.BAD_SIGNATURE
    assert status.edition is Edition.FREE
    assert status.license is None
    assert status.features == frozenset()
    assert not status.allows_management("custom_roles")
    assert "signature" in status.reason


def test_not_yet_valid_license_is_invalid_but_shown(issue, keyset, now):
    token = issue(not_before=now + timedelta(days=2), expires_at=now + timedelta(days=30))
    status = license_status(token, now=now, keyset=keyset)
    assert status.state is LicenseState.INVALID
    assert status.error_code is ErrorCode.NOT_YET_VALID
    assert status.license is not None
    assert not status.allows_management("custom_roles")


def test_small_clock_difference_is_tolerated(issue, keyset, now):
    token = issue(issued_at=now + timedelta(minutes=4), not_before=now + timedelta(minutes=4))
    assert license_status(token, now=now, keyset=keyset).state is LicenseState.VALID


def test_instance_binding(issue, keyset, now):
    token = issue(instance_id="inst-a")
    assert license_status(token, now=now, keyset=keyset, instance_id="inst-a").state == "valid"
    other = license_status(token, now=now, keyset=keyset, instance_id="inst-b")
    assert other.state is LicenseState.INVALID
    assert other.error_code is ErrorCode.WRONG_INSTANCE
    unbound = issue(instance_id=None)
    assert license_status(unbound, now=now, keyset=keyset, instance_id="x").state == "valid"


def test_unknown_features_are_kept_and_managed_like_any_other(issue, keyset, now):
    status = license_status(issue(features=frozenset({"gpu_quotas"})), now=now, keyset=keyset)
    assert status.features == {"gpu_quotas"}
    assert status.allows_management("gpu_quotas")
    assert status.license.unknown_features == {"gpu_quotas"}


def test_trial_is_named_in_the_reason(issue, keyset, now):
    status = license_status(issue(trial=True), now=now, keyset=keyset)
    assert status.license.trial
    assert "trial license" in status.reason


def test_naive_clock_is_refused(token, keyset, make_license):
    with pytest.raises(ValueError):
        license_status(token, now=datetime(2026, 6, 1), keyset=keyset)
    with pytest.raises(ValueError):
        status_for_license(make_license(), now=datetime(2026, 6, 1))


def test_other_time_zones_mean_the_same_moment(token, keyset):
    from datetime import timezone

    plus_nine = timezone(timedelta(hours=9))
    moment = (EXPIRES - timedelta(seconds=1)).astimezone(plus_nine)
    assert status_at(token, keyset, moment).state is LicenseState.EXPIRING_SOON


def test_status_is_frozen(token, keyset):
    status = status_at(token, keyset, ISSUED)
    with pytest.raises(AttributeError):
        status.state = LicenseState.EXPIRED  # type: ignore[misc]
