"""Key sets: the bundled vendor keys and development-only extra keys."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from license import ErrorCode, KeySet, LicenseError, load_public_key, verify_license
from license.issue import private_key_pem
from license.keys import public_key_pem

TEST_KID = "test-key-1"


def raw_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def same_key(left, right) -> bool:
    return public_key_pem(left) == public_key_pem(right)


def key_config_error(call, *args, **kwargs) -> str:
    with pytest.raises(LicenseError) as caught:
        call(*args, **kwargs)
    assert caught.value.code is ErrorCode.KEY_CONFIG
    return caught.value.message


def test_bundled_key_set_holds_one_real_vendor_key():
    keyset = KeySet.load()
    assert len(keyset.kids) >= 1
    assert keyset.extra_keys == ()
    for kid in keyset.kids:
        assert keyset.candidates(kid)


def test_no_private_key_is_bundled():
    from importlib import resources

    keys_dir = resources.files("license").joinpath("keys")
    for entry in keys_dir.iterdir():
        assert "PRIVATE KEY" not in entry.read_text(encoding="utf-8"), entry.name


@pytest.mark.parametrize("form", ["pem", "raw", "urlsafe-raw"])
def test_public_key_text_forms(signing_key, form):
    text = {
        "pem": public_key_pem(signing_key.public_key()),
        "raw": raw_b64(signing_key),
        "urlsafe-raw": raw_b64(signing_key).replace("+", "-").replace("/", "_"),
    }[form]
    assert same_key(load_public_key(text), signing_key.public_key())


def test_public_key_from_a_file_path(signing_key, tmp_path):
    pem_file = tmp_path / "dev.pub.pem"
    pem_file.write_text(public_key_pem(signing_key.public_key()))
    raw_file = tmp_path / "dev.pub.b64"
    raw_file.write_text(raw_b64(signing_key) + "\n")

    assert same_key(load_public_key(str(pem_file)), signing_key.public_key())
    assert same_key(load_public_key(pem_file), signing_key.public_key())
    assert same_key(load_public_key(str(raw_file)), signing_key.public_key())


def test_wrong_key_material_is_refused(signing_key, tmp_path):
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    assert "Ed25519" in key_config_error(load_public_key, ec_pem)
    key_config_error(load_public_key, private_key_pem(signing_key))
    key_config_error(load_public_key, base64.b64encode(b"too short").decode())
    assert "readable key file" in key_config_error(load_public_key, str(tmp_path / "missing"))


def test_from_json_refuses_bad_documents(signing_key):
    pem = public_key_pem(signing_key.public_key())
    duplicate = {"keys": [{"kid": "a", "public_key": pem}, {"kid": "a", "public_key": pem}]}
    assert "twice" in key_config_error(KeySet.from_json, json.dumps(duplicate))
    key_config_error(KeySet.from_json, "not json")
    key_config_error(KeySet.from_json, json.dumps({"keys": [{"kid": "a"}]}))
    key_config_error(KeySet.from_json, json.dumps({"keys": [{"kid": "", "public_key": pem}]}))


def test_production_refuses_extra_keys(signing_key):
    pem = public_key_pem(signing_key.public_key())
    message = key_config_error(KeySet.load, [pem], production=True)
    assert "production" in message
    # Refusing is the default: production unless told otherwise.
    key_config_error(KeySet.load, [pem])
    key_config_error(KeySet.load, pem)


def test_production_without_extra_keys_loads(signing_key):
    assert KeySet.load([], production=True).extra_keys == ()
    assert KeySet.load(None, production=True).extra_keys == ()


def test_development_trusts_extra_keys_for_kids_it_does_not_bundle(issue, signing_key, tmp_path):
    pub_file = tmp_path / "dev.pub.pem"
    pub_file.write_text(public_key_pem(signing_key.public_key()))
    without = KeySet.load(production=True)
    with_extra = KeySet.load([str(pub_file)], production=False)
    token = issue(kid="dev-laptop")

    with pytest.raises(LicenseError) as caught:
        verify_license(token, without)
    assert caught.value.code is ErrorCode.UNKNOWN_KEY
    assert verify_license(token, with_extra).key_id == "dev-laptop"


def test_extra_keys_never_stand_in_for_a_bundled_kid(issue, signing_key):
    # A development key must not be able to sign under the vendor's key id.
    keyset = KeySet.load([public_key_pem(signing_key.public_key())], production=False)
    vendor_kid = KeySet.load().kids[0]
    with pytest.raises(LicenseError) as caught:
        verify_license(issue(kid=vendor_kid), keyset)
    assert caught.value.code is ErrorCode.BAD_SIGNATURE


def test_unbundled_kid_that_no_extra_key_signed_is_a_bad_signature(issue, signing_key):
    # Extra keys answer to every unbundled kid, so a mismatch is a signature failure.
    stranger = Ed25519PrivateKey.generate()
    keyset = KeySet({}, (Ed25519PrivateKey.generate().public_key(), signing_key.public_key()))
    assert verify_license(issue(kid="whatever"), keyset).key_id == "whatever"
    with pytest.raises(LicenseError) as caught:
        verify_license(issue(key=stranger, kid="whatever"), keyset)
    assert caught.value.code is ErrorCode.BAD_SIGNATURE


def test_keyset_is_read_only(signing_key):
    keys = {TEST_KID: signing_key.public_key()}
    keyset = KeySet(keys)
    keys["sneaky"] = signing_key.public_key()
    assert keyset.kids == (TEST_KID,)
    with pytest.raises(TypeError):
        keyset.keys["sneaky"] = signing_key.public_key()  # type: ignore[index]
