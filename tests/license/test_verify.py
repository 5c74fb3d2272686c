"""Signature verification, and the classic JWT attacks it must refuse."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from license import ErrorCode, KeySet, LicenseError, verify_license
from license.issue import sign_license
from license.verify import MAX_TOKEN_LENGTH

TEST_KID = "test-key-1"


def refused(token, keyset) -> ErrorCode:
    with pytest.raises(LicenseError) as caught:
        verify_license(token, keyset)
    assert caught.value.message  # every refusal carries a sentence for a person
    return caught.value.code


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_round_trip_returns_the_signed_claims(issue, keyset, make_license, now):
    token = issue(
        features=frozenset({"custom_roles", "view_only"}),
        trial=True,
        grace_days=7,
        instance_id="inst-42",
        max_teams=None,
    )

    verified = verify_license(token, keyset)

    assert verified == make_license(
        features=frozenset({"custom_roles", "view_only"}),
        trial=True,
        grace_days=7,
        instance_id="inst-42",
        max_teams=None,
    )
    assert verified.key_id == TEST_KID
    assert verified.expires_at == now + timedelta(days=365)


def test_surrounding_whitespace_and_bytes_are_accepted(issue, keyset):
    token = issue()
    assert verify_license(f"\n  {token}\n", keyset).license_id == "lic_test_0001"
    assert verify_license(token.encode(), keyset).license_id == "lic_test_0001"


def test_expired_license_still_verifies(issue, keyset, now):
    # Dates are judged by status and install checks, not by signature verification.
    token = issue(
        issued_at=now - timedelta(days=400),
        not_before=now - timedelta(days=400),
        expires_at=now - timedelta(days=35),
    )
    assert verify_license(token, keyset).expires_at == now - timedelta(days=35)


def test_alg_none_is_refused(forge, make_license, keyset):
    token = forge({"alg": "none", "kid": TEST_KID, "typ": "JWT"}, make_license().to_claims())
    assert refused(token, keyset) is ErrorCode.WRONG_ALGORITHM


@pytest.mark.parametrize("alg", ["None", "NONE", "", None])
def test_alg_none_spellings_are_refused(forge, make_license, keyset, alg):
    token = forge({"alg": alg, "kid": TEST_KID}, make_license().to_claims())
    assert refused(token, keyset) is ErrorCode.WRONG_ALGORITHM


@pytest.mark.parametrize("key_format", ["pem", "raw"])
def test_hs256_signed_with_the_public_key_is_refused(
    forge, make_license, keyset, signing_key, key_format
):
    public = signing_key.public_key()
    if key_format == "pem":
        secret = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        secret = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def hmac_sign(data: bytes) -> bytes:
        return hmac.new(secret, data, hashlib.sha256).digest()

    hs256 = forge({"alg": "HS256", "kid": TEST_KID}, make_license().to_claims(), hmac_sign)
    assert refused(hs256, keyset) is ErrorCode.WRONG_ALGORITHM
    # The same HMAC forgery under a header that claims EdDSA must fail the signature.
    lying = forge({"alg": "EdDSA", "kid": TEST_KID}, make_license().to_claims(), hmac_sign)
    assert refused(lying, keyset) is ErrorCode.BAD_SIGNATURE


def test_other_asymmetric_algorithms_are_refused(make_license, keyset):
    ec_key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(
        make_license().to_claims(), ec_key, algorithm="ES256", headers={"kid": TEST_KID}
    )
    assert refused(token, keyset) is ErrorCode.WRONG_ALGORITHM


def test_changed_payload_with_original_signature_is_refused(issue, keyset):
    header, payload, signature = issue(seats=5).split(".")
    claims = json.loads(_b64decode(payload))
    claims["seats"] = 5000
    claims["features"].append("view_only")
    tampered = ".".join([header, _b64encode(json.dumps(claims).encode()), signature])

    assert refused(tampered, keyset) is ErrorCode.BAD_SIGNATURE


def test_changed_header_kid_with_original_signature_is_refused(issue, signing_key):
    other = Ed25519PrivateKey.generate()
    keys = KeySet({TEST_KID: signing_key.public_key(), "other": other.public_key()})
    _, payload, signature = issue().split(".")
    header = _b64encode(json.dumps({"alg": "EdDSA", "kid": "other"}).encode())
    assert refused(f"{header}.{payload}.{signature}", keys) is ErrorCode.BAD_SIGNATURE


def test_unknown_kid_is_refused(issue, keyset):
    assert refused(issue(kid="somebody-elses-key"), keyset) is ErrorCode.UNKNOWN_KEY


def test_missing_kid_is_refused(make_license, signing_key, keyset):
    token = jwt.encode(make_license().to_claims(), signing_key, algorithm="EdDSA")
    assert "kid" not in jwt.get_unverified_header(token)
    assert refused(token, keyset) is ErrorCode.UNKNOWN_KEY


@pytest.mark.parametrize(
    "kid, code",
    [("", ErrorCode.UNKNOWN_KEY), (17, ErrorCode.MALFORMED), ([TEST_KID], ErrorCode.MALFORMED)],
)
def test_kid_that_is_not_a_name_is_refused(forge, make_license, signing_key, keyset, kid, code):
    header = {"alg": "EdDSA", "kid": kid}
    token = forge(header, make_license().to_claims(), signing_key.sign)
    assert refused(token, keyset) is code


def test_untrusted_key_using_a_trusted_kid_is_refused(issue, keyset):
    impostor = Ed25519PrivateKey.generate()
    assert refused(issue(key=impostor, kid=TEST_KID), keyset) is ErrorCode.BAD_SIGNATURE


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "garbage",
        "a.b.c",
        "...",
        "eyJhbGciOiJFZERTQSJ9",
        "!!!.###.$$$",
        "x" * (MAX_TOKEN_LENGTH + 1),
        b"\xff\xfe",
        None,
        12345,
    ],
)
def test_garbage_is_malformed(keyset, garbage):
    assert refused(garbage, keyset) is ErrorCode.MALFORMED


def test_payload_that_is_not_an_object_is_malformed(forge, signing_key, keyset):
    header = {"alg": "EdDSA", "kid": TEST_KID}
    token = forge(header, {}, b"")
    head, _, _ = token.split(".")
    body = _b64encode(b"[1, 2, 3]")
    signature = signing_key.sign(f"{head}.{body}".encode())
    assert refused(f"{head}.{body}.{_b64encode(signature)}", keyset) is ErrorCode.MALFORMED


@pytest.mark.parametrize(
    "claim, value",
    [
        ("seats", "20"),
        ("seats", True),
        ("seats", -1),
        ("max_teams", 2.5),
        ("features", "custom_roles"),
        ("features", ["custom_roles", 3]),
        ("trial", "yes"),
        ("grace_days", None),
        ("exp", "tomorrow"),
        ("customer_name", ""),
        ("instance_id", 42),
    ],
)
def test_signed_claims_of_the_wrong_type_are_malformed(
    make_license, signing_key, keyset, claim, value
):
    claims = make_license().to_claims()
    claims[claim] = value
    token = jwt.encode(claims, signing_key, algorithm="EdDSA", headers={"kid": TEST_KID})
    with pytest.raises(LicenseError) as caught:
        verify_license(token, keyset)
    assert caught.value.code is ErrorCode.MALFORMED
    assert claim in caught.value.message


@pytest.mark.parametrize("claim", ["jti", "customer_name", "customer_email", "iat", "nbf", "exp"])
def test_missing_required_claims_are_malformed(make_license, signing_key, keyset, claim):
    claims = make_license().to_claims()
    del claims[claim]
    token = jwt.encode(claims, signing_key, algorithm="EdDSA", headers={"kid": TEST_KID})
    assert refused(token, keyset) is ErrorCode.MALFORMED


def test_optional_claims_take_their_defaults(make_license, signing_key, keyset):
    claims = make_license().to_claims()
    for optional in ("max_teams", "features", "trial", "grace_days"):
        del claims[optional]
    token = jwt.encode(claims, signing_key, algorithm="EdDSA", headers={"kid": TEST_KID})

    verified = verify_license(token, keyset)

    assert verified.max_teams is None
    assert verified.features == frozenset()
    assert verified.trial is False
    assert verified.grace_days == 14
    assert verified.instance_id is None


def test_expiry_before_start_is_malformed(issue, keyset, now):
    token = issue(not_before=now, expires_at=now - timedelta(seconds=1))
    assert refused(token, keyset) is ErrorCode.MALFORMED


def test_unknown_features_are_kept(issue, keyset):
    token = issue(features=frozenset({"custom_roles", "gpu_quotas"}))
    verified = verify_license(token, keyset)
    assert verified.features == {"custom_roles", "gpu_quotas"}
    assert verified.unknown_features == {"gpu_quotas"}


def test_sign_then_verify_with_the_real_bundled_format(signing_key, make_license, tmp_path):
    pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_file = tmp_path / "keys.json"
    key_file.write_text(json.dumps({"keys": [{"kid": "k9", "public_key": pem.decode()}]}))
    token = sign_license(make_license(), signing_key, kid="k9")

    assert verify_license(token, KeySet.load(path=key_file)).key_id == "k9"
