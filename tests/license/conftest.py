"""Fixtures for the license tests: throwaway signing keys and a license factory."""

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from license import KeySet, License
from license.issue import sign_license

# A fixed clock: every test states its moment relative to this one.
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
TEST_KID = "test-key-1"


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def keyset(signing_key: Ed25519PrivateKey) -> KeySet:
    return KeySet({TEST_KID: signing_key.public_key()})


@pytest.fixture
def make_license() -> Callable[..., License]:
    """Build License claims: issued at NOW, valid for a year, overridable per field."""

    def build(**overrides: Any) -> License:
        fields: dict[str, Any] = {
            "license_id": "lic_test_0001",
            "customer_name": "Acme Research",
            "customer_email": "it@acme.test",
            "issued_at": NOW,
            "not_before": NOW,
            "expires_at": NOW + timedelta(days=365),
            "seats": 20,
            "max_teams": 5,
            "features": frozenset({"custom_roles", "service_accounts"}),
        }
        fields.update(overrides)
        return License(**fields)

    return build


@pytest.fixture
def issue(
    signing_key: Ed25519PrivateKey, make_license: Callable[..., License]
) -> Callable[..., str]:
    """Sign a license with the trusted test key (or ``key=``/``kid=`` to override)."""

    def sign(key: Ed25519PrivateKey | None = None, kid: str = TEST_KID, **fields: Any) -> str:
        return sign_license(make_license(**fields), key or signing_key, kid=kid)

    return sign


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.fixture
def forge() -> Callable[..., str]:
    """Assemble a token from a header, a payload and a signature (or a signing function)."""

    def assemble(
        header: dict[str, Any],
        payload: dict[str, Any],
        signature: bytes | Callable[[bytes], bytes] = b"",
    ) -> str:
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload).encode())
        )
        raw = signature(signing_input.encode("ascii")) if callable(signature) else signature
        return signing_input + "." + b64url(raw)

    return assemble
