"""API keys: created once, listed without secrets, revoked at once, stored hashed."""

from datetime import timedelta

from sqlalchemy import select

from server.extensions import db
from server.models import ApiKey, AuditEvent
from server.services import users as user_service
from tests.factories import bearer, make_key, make_user


def test_create_shows_the_full_key_once_and_stores_only_a_hash(client):
    key = make_key(make_user())
    response = client.post("/api/v1/viewer/api-keys", json={"name": "laptop"}, headers=bearer(key))
    assert response.status_code == 201
    body = response.json
    full_key = body["key"]
    assert len(full_key) >= 40
    assert full_key.startswith(body["key_id"] + "_")
    row = db.session.scalar(select(ApiKey).where(ApiKey.key_id == body["key_id"]))
    secret = full_key.split("_", 2)[2]
    assert secret not in row.secret_hash and full_key not in row.secret_hash

    listing = client.get("/api/v1/viewer/api-keys", headers=bearer(full_key)).json
    names = {item["name"] for item in listing["items"]}
    assert names == {"test key", "laptop"}
    assert all("key" not in item for item in listing["items"])
    assert set(listing["items"][0]) == {"key_id", "name", "created_at", "last_used_at"}


def test_deleted_key_stops_working_at_once(client):
    user = make_user()
    keep, doomed = make_key(user, "keep"), make_key(user, "doomed")
    doomed_id = doomed[:15]
    assert client.get("/api/v1/viewer", headers=bearer(doomed)).status_code == 200
    response = client.delete(f"/api/v1/viewer/api-keys/{doomed_id}", headers=bearer(keep))
    assert response.status_code == 204
    response = client.get("/api/v1/viewer", headers=bearer(doomed))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_api_key"
    assert client.get("/api/v1/viewer", headers=bearer(keep)).status_code == 200


def test_cannot_delete_someone_elses_key(client):
    mine = make_key(make_user())
    theirs = make_key(make_user())
    response = client.delete(f"/api/v1/viewer/api-keys/{theirs[:15]}", headers=bearer(mine))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "api_key_not_found"
    assert client.get("/api/v1/viewer", headers=bearer(theirs)).status_code == 200


def test_deactivation_disables_keys_and_reactivation_restores_them(client):
    admin = make_user(system_admin=True)
    user = make_user()
    key = make_key(user)
    user_service.deactivate(user)
    assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 401
    user_service.reactivate(user)
    assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 200
    assert admin.system_admin


def test_last_used_is_written_at_most_once_a_minute(client):
    key = make_key(make_user())
    client.get("/api/v1/viewer", headers=bearer(key))
    row = db.session.scalar(select(ApiKey).where(ApiKey.key_id == key[:15]))
    first = row.last_used_at
    assert first is not None
    client.get("/api/v1/viewer", headers=bearer(key))
    db.session.refresh(row)
    assert row.last_used_at == first  # second use within the minute: no write

    row.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    client.get("/api/v1/viewer", headers=bearer(key))
    db.session.refresh(row)
    assert row.last_used_at > first - timedelta(minutes=2)


def test_invalid_bodies_get_clear_errors(client):
    key = make_key(make_user())
    no_json = client.post("/api/v1/viewer/api-keys", data="name=x", headers=bearer(key))
    assert no_json.status_code == 400 and no_json.json["error"]["code"] == "not_json"
    broken = client.post(
        "/api/v1/viewer/api-keys",
        data="{",
        headers={**bearer(key), "Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json["error"]["code"] == "malformed_json"
    empty = client.post("/api/v1/viewer/api-keys", json={"name": ""}, headers=bearer(key))
    assert empty.status_code == 422
    assert empty.json["error"]["errors"][0]["field"] == "name"
    wrong_type = client.post("/api/v1/viewer/api-keys", json={"name": 5}, headers=bearer(key))
    assert wrong_type.status_code == 422


def test_viewer_seats_have_no_api_keys(client):
    viewer = make_user(seat_type="viewer")
    from server.errors import Forbidden

    try:
        make_key(viewer)
    except Forbidden as exc:
        assert exc.code == "viewer_seat"
    else:
        raise AssertionError("a viewer seat got an API key")


def test_list_is_paginated_with_a_cursor(client):
    user = make_user()
    key = make_key(user, "k0")
    for n in range(1, 5):
        make_key(user, f"k{n}")
    first = client.get("/api/v1/viewer/api-keys?limit=2", headers=bearer(key)).json
    assert [item["name"] for item in first["items"]] == ["k0", "k1"]
    second = client.get(
        f"/api/v1/viewer/api-keys?limit=2&cursor={first['next_cursor']}", headers=bearer(key)
    ).json
    assert [item["name"] for item in second["items"]] == ["k2", "k3"]
    bad = client.get("/api/v1/viewer/api-keys?cursor=%%%", headers=bearer(key))
    assert bad.status_code == 422
    too_many = client.get("/api/v1/viewer/api-keys?limit=1000", headers=bearer(key))
    assert too_many.status_code == 422


def test_key_creation_and_deletion_are_audited(client):
    key = make_key(make_user("audited"))
    client.delete(
        f"/api/v1/viewer/api-keys/{key[:15]}",
        headers=bearer(
            make_key(
                db.session.scalar(select(ApiKey).where(ApiKey.key_id == key[:15])).user, "other"
            )
        ),
    )
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_name == key[:15]).order_by(AuditEvent.id)
    ).all()
    assert actions == ["api_key:create", "api_key:delete"]
