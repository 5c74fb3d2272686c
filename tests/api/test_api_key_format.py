"""Key format: every minted key passes the W&B SDK's local check; older keys keep working."""

import base64
import hashlib
import re

from server.extensions import db
from server.models import ApiKey
from server.services import api_keys as key_service
from tests.factories import bearer, make_key, make_user


def sdk_refusal(key: str) -> str | None:
    """The rule wandb 0.31.0 applies before sending a key (wbauth/validation.py): the part
    after the first '-' (the whole key without one) is 40+ word characters."""
    secret = key.split("-", 1)[-1]
    if not re.fullmatch(r"[\w-]+", secret):
        return "bad characters"
    if len(secret) < 40:
        return f"only {len(secret)} characters"
    return None


def test_every_minted_key_passes_the_sdk_check():
    keys = [key_service._new_key()[2] for _ in range(20_000)]
    refused = [key for key in keys if sdk_refusal(key)]
    assert refused == []
    assert len(set(keys)) == len(keys)
    assert all(len(key.split("_", 2)[2]) == key_service.SECRET_LENGTH for key in keys)


def test_keys_created_through_the_api_pass_the_sdk_check(client):
    key = make_key(make_user())
    for n in range(30):
        response = client.post(
            "/api/v1/viewer/api-keys", json={"name": f"k{n}"}, headers=bearer(key)
        )
        assert response.status_code == 201
        assert sdk_refusal(response.json["key"]) is None


def test_a_key_of_the_old_format_with_dashes_keeps_working(client):
    user = make_user()
    make_key(user)
    secret = "a-b" + "x" * 40  # token_urlsafe output could hold '-' anywhere
    key_id = "op_oldformat000"
    db.session.add(
        ApiKey(
            key_id=key_id,
            name="old",
            secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
            user_id=user.id,
        )
    )
    db.session.commit()
    full = f"{key_id}_{secret}"
    assert client.get("/api/v1/viewer", headers=bearer(full)).status_code == 200
    basic = base64.b64encode(f"api:{full}".encode()).decode()
    response = client.get("/api/v1/viewer", headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200
