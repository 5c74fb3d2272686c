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


def test_only_team_admins_see_the_service_accounts(client, lab, issue_license):
    """Listing service accounts (with when each was last active) is a team admin's view: a
    member or view-only member is refused, through the API and the console alike."""
    from server.services.teams import load_team
    from tests.factories import PASSWORD, add_member, login

    licensing.install_license(issue_license())
    client.post("/api/v1/teams/lab/service-accounts", json={"name": "ci"}, headers=bearer(lab))
    viewer = make_user("vic")
    add_member(load_team("lab"), viewer, "view-only")
    for user in (make_user_in_lab(), viewer):
        refused = client.get("/api/v1/teams/lab/service-accounts", headers=bearer(make_key(user)))
        assert refused.status_code == 403, user.username
        assert refused.json["error"]["code"] == "permission_denied"
        assert refused.json["error"]["permission"] == "service_account:manage"
    listing = client.get("/api/v1/teams/lab/service-accounts", headers=bearer(lab))
    assert [a["username"] for a in listing.json["items"]] == ["lab-ci"]

    login(client, "vic", PASSWORD)
    assert client.get("/teams/lab/service-accounts").status_code == 403
    members_page = client.get("/teams/lab/members")
    assert members_page.status_code == 200
    assert "/teams/lab/service-accounts" not in members_page.get_data(as_text=True)


def test_a_service_account_cannot_manage_its_own_keys(client, lab, issue_license):
    """A service account's key cannot mint more keys (which its team would never see), list
    or revoke them: its team's admins manage its keys."""
    licensing.install_license(issue_license())
    created = client.post(
        "/api/v1/teams/lab/service-accounts", json={"name": "ci"}, headers=bearer(lab)
    )
    key = bearer(created.json["key"])
    attempts = [
        client.post("/api/v1/viewer/api-keys", json={"name": "more"}, headers=key),
        client.get("/api/v1/viewer/api-keys", headers=key),
        client.delete(f"/api/v1/viewer/api-keys/{created.json['key'][:15]}", headers=key),
    ]
    for refused in attempts:
        assert refused.status_code == 403
        assert refused.json["error"]["code"] == "service_account_keys_managed_by_team_admins"
    assert client.get("/api/v1/viewer", headers=key).status_code == 200  # the key still works
