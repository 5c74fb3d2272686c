"""Service accounts: licensed, one team, key shown once, member rights, no custom role."""

import pytest

from server.services import licensing
from tests.factories import bearer, make_key, make_team, make_user


@pytest.fixture
def lab():
    admin = make_user()
    make_team("lab", admins=[admin], members=[make_user("mem")])
    return make_key(admin)


def test_service_accounts_need_the_license(client, lab):
    response = client.post(
        "/api/v1/teams/lab/service-accounts", json={"name": "ci"}, headers=bearer(lab)
    )
    assert response.status_code == 403 and response.json["error"]["code"] == "license_required"


def test_create_use_and_delete(client, lab, issue_license):
    licensing.install_license(issue_license(features=frozenset({"service_accounts"})))
    created = client.post(
        "/api/v1/teams/lab/service-accounts", json={"name": "ci"}, headers=bearer(lab)
    )
    assert created.status_code == 201, created.json
    key = created.json["key"]
    viewer = client.get("/api/v1/viewer", headers=bearer(key)).json
    assert viewer["kind"] == "service_account" and viewer["username"] == "lab-ci"
    listing = client.get("/api/v1/teams/lab/service-accounts", headers=bearer(lab)).json
    assert [a["username"] for a in listing["items"]] == ["lab-ci"]
    assert "key" not in listing["items"][0]
    seats = client.get(
        "/api/v1/system/license", headers=bearer(make_key(make_user(system_admin=True)))
    ).json["seats"]
    assert seats["used"] == 3  # the admin, the member and the system admin: no seat for "ci"
    assert (
        client.delete("/api/v1/teams/lab/service-accounts/ci", headers=bearer(lab)).status_code
        == 204
    )
    assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 401


def test_members_cannot_create_service_accounts(client, lab, issue_license):
    licensing.install_license(issue_license())
    response = client.post(
        "/api/v1/teams/lab/service-accounts",
        json={"name": "x"},
        headers=bearer(make_key(make_user_in_lab())),
    )
    assert response.status_code == 403


def make_user_in_lab():
    from server.services.teams import load_team
    from tests.factories import add_member

    user = make_user()
    add_member(load_team("lab"), user, "member")
    return user


def test_service_account_cannot_hold_another_role(client, lab, issue_license):
    licensing.install_license(issue_license())
    client.post("/api/v1/teams/lab/service-accounts", json={"name": "bot"}, headers=bearer(lab))
    response = client.patch(
        "/api/v1/teams/lab/members/lab-bot", json={"role": "admin"}, headers=bearer(lab)
    )
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_role"
