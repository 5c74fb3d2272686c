"""Nothing that decides who may ask is kept between requests: a deleted key or a deactivated
user is refused on the very next request, by every worker (two apps on one database here,
each warmed up with the key first)."""

import pytest

from server.extensions import db
from tests.factories import bearer, make_key, make_user


@pytest.fixture
def workers(make_app):
    first, second = make_app(), make_app()
    with first.app_context():
        user = make_user("bob", password=None)
        key = make_key(user)
    clients = [first.test_client(), second.test_client()]
    for client in clients:
        assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 200
    return first, clients, user, key


def test_a_deleted_key_is_refused_by_every_worker_on_the_next_request(workers):
    _, clients, _, key = workers
    listed = clients[0].get("/api/v1/viewer/api-keys", headers=bearer(key)).json["items"]
    key_id = listed[0]["key_id"]
    response = clients[0].delete(f"/api/v1/viewer/api-keys/{key_id}", headers=bearer(key))
    assert response.status_code == 204
    for client in clients:
        response = client.get("/api/v1/viewer", headers=bearer(key))
        assert response.status_code == 401 and response.json["error"]["code"] == "invalid_api_key"


def test_a_deactivated_user_is_refused_by_every_worker_on_the_next_request(workers):
    first, clients, user, key = workers
    with first.app_context():
        row = db.session.merge(user)
        row.state = "deactivated"
        db.session.commit()
    for client in clients:
        assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 401
