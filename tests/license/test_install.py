"""The checks an uploaded license must pass before it is installed."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from license import ErrorCode, LicenseError, validate_for_install

INSTANCE = "inst-7f3a"


@pytest.fixture
def install(keyset, now):
    """Validate with sensible defaults; keyword arguments override them."""

    def validate(token, **overrides):
        arguments = {
            "now": now,
            "keyset": keyset,
            "instance_id": INSTANCE,
            "active_full_seat_users": 3,
        }
        arguments.update(overrides)
        return validate_for_install(token, **arguments)

    return validate


def refusal(install, token, **overrides) -> LicenseError:
    with pytest.raises(LicenseError) as caught:
        install(token, **overrides)
    return caught.value


def test_good_license_is_accepted_and_returned(install, issue):
    installed = install(issue(seats=20, instance_id=INSTANCE))
    assert installed.seats == 20
    assert installed.instance_id == INSTANCE


@pytest.mark.parametrize(
    "token_kind, code",
    [
        ("untrusted", ErrorCode.BAD_SIGNATURE),
        ("unknown_kid", ErrorCode.UNKNOWN_KEY),
        ("alg_none", ErrorCode.WRONG_ALGORITHM),
        ("garbage", ErrorCode.MALFORMED),
    ],
)
def test_untrustworthy_tokens_are_refused(install, issue, forge, make_license, token_kind, code):
    token = {
        "untrusted": lambda: issue(key=Ed25519PrivateKey.generate()),
        "unknown_kid": lambda: issue(kid="retired-2019"),
        "alg_none": lambda: forge({"alg": "none", "kid": "test-key-1"}, make_license().to_claims()),
        "garbage": lambda: "definitely not a license",
    }[token_kind]()
    assert refusal(install, token).code is code


def test_expired_license_is_refused_even_within_its_grace_period(install, issue, now):
    token = issue(
        issued_at=now - timedelta(days=100),
        not_before=now - timedelta(days=100),
        expires_at=now - timedelta(days=2),
        grace_days=14,
    )
    error = refusal(install, token)
    assert error.code is ErrorCode.EXPIRED
    assert "renewed license" in error.message


def test_license_expiring_one_second_from_now_is_accepted(install, issue, now):
    started = {"issued_at": now - timedelta(days=1), "not_before": now - timedelta(days=1)}
    assert install(issue(**started, expires_at=now + timedelta(seconds=1))).seats == 20
    assert refusal(install, issue(**started, expires_at=now)).code is ErrorCode.EXPIRED


@pytest.mark.parametrize("field", ["not_before", "issued_at"])
def test_license_from_the_future_is_refused(install, issue, now, field):
    start = {"issued_at": now, "not_before": now, field: now + timedelta(minutes=6)}
    error = refusal(install, issue(**start, expires_at=now + timedelta(days=30)))
    assert error.code is ErrorCode.NOT_YET_VALID
    assert "clock" in error.message


def test_a_few_minutes_of_clock_skew_is_tolerated(install, issue, now):
    token = issue(issued_at=now + timedelta(minutes=4), not_before=now + timedelta(minutes=4))
    assert install(token).license_id == "lic_test_0001"


def test_license_for_another_instance_is_refused_with_both_ids(install, issue):
    error = refusal(install, issue(instance_id="inst-other"))
    assert error.code is ErrorCode.WRONG_INSTANCE
    assert "inst-other" in error.message
    assert f"bound to '{INSTANCE}'" in error.message


def test_unbound_license_installs_anywhere(install, issue):
    assert install(issue(instance_id=None), instance_id="anything").instance_id is None


def test_fewer_seats_than_active_users_is_refused(install, issue):
    token = issue(seats=10)
    assert install(token, active_full_seat_users=10).seats == 10
    error = refusal(install, token, active_full_seat_users=13)
    assert error.code is ErrorCode.INSUFFICIENT_SEATS
    assert "10 full seats" in error.message
    assert "13 active users" in error.message
    assert "Deactivate 3" in error.message


def test_older_license_needs_confirmation(install, issue, make_license, now):
    current = make_license(license_id="lic_current", issued_at=now - timedelta(days=1))
    older = issue(
        license_id="lic_old",
        issued_at=now - timedelta(days=30),
        not_before=now - timedelta(days=30),
    )
    error = refusal(install, older, current=current)
    assert error.code is ErrorCode.OLDER_LICENSE
    assert "lic_current" in error.message and "lic_old" in error.message
    assert install(older, current=current, allow_older=True).license_id == "lic_old"


def test_newer_or_same_license_replaces_the_current_one(install, issue, make_license, now):
    current = make_license(issued_at=now - timedelta(days=1))
    assert install(issue(), current=current).issued_at == now
    same = make_license()
    assert install(issue(), current=same).license_id == same.license_id


def test_checks_run_in_a_useful_order(install, issue, now):
    # A forged license is reported as forged, not as short of seats.
    forged = issue(key=Ed25519PrivateKey.generate(), seats=0)
    assert refusal(install, forged).code is ErrorCode.BAD_SIGNATURE
    # An expired license for another instance is reported as expired first.
    stale = issue(
        instance_id="elsewhere",
        expires_at=now - timedelta(hours=1),
        not_before=now - timedelta(days=10),
        issued_at=now - timedelta(days=10),
    )
    assert refusal(install, stale).code is ErrorCode.EXPIRED


def test_license_error_has_code_and_message(install, issue):
    error = refusal(install, issue(seats=1))
    assert str(error) == error.message
    assert error.code == "insufficient_seats"
    assert "insufficient_seats" in repr(error)
