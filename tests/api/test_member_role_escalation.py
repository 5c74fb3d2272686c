"""Role changes are checked against the actor's own role: a custom role that may manage
members cannot make anyone admin (itself included), cannot demote or remove an admin, and
cannot give or take away a role with permissions it lacks. Team admins and system admins can."""

import pytest

from server.extensions import db
from server.models import Membership
from server.services import licensing, roles
from tests.factories import (
    PASSWORD,
    add_member,
    bearer,
    csrf_token,
    login,
    make_key,
    make_team,
    make_user,
)

MEMBERS = "/api/v1/teams/lab/members"


@pytest.fixture
def lab(issue_license):
    licensing.install_license(issue_license())
    manager_role = roles.create_role("people-ops", "member", ["team:manage_members"])
    roles.create_role("deleter", "member", ["project:delete"])
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    team = make_team("lab", admins=[alice], members=[bob])
    add_member(team, carol, custom_role=manager_role)
    make_user("dave", email="dave@example.test")
    keys = {u.username: bearer(make_key(u)) for u in (alice, bob, carol)}
    keys["sam"] = bearer(make_key(make_user("sam", system_admin=True)))
    return keys


def role_of(username: str) -> str | None:
    from server.models import User

    user = db.session.scalar(db.select(User).where(User.username == username))
    membership = db.session.scalar(db.select(Membership).where(Membership.user_id == user.id))
    db.session.rollback()
    if membership is None:
        return None
    return membership.custom_role.name if membership.custom_role else membership.role


def ok(response) -> bool:
    return response.status_code < 300


def refused(response, code: str) -> bool:
    return response.status_code == 403 and response.json["error"]["code"] == code


def test_a_member_manager_cannot_make_itself_or_anyone_admin(client, lab):
    carol = lab["carol"]
    assert refused(
        client.patch(f"{MEMBERS}/carol", json={"role": "admin"}, headers=carol),
        "admin_role_needs_admin",
    )
    assert refused(
        client.patch(f"{MEMBERS}/bob", json={"role": "admin"}, headers=carol),
        "admin_role_needs_admin",
    )
    assert refused(
        client.post(MEMBERS, json={"username": "dave", "role": "admin"}, headers=carol),
        "admin_role_needs_admin",
    )
    assert refused(
        client.post(MEMBERS, json={"email": "new@example.test", "role": "admin"}, headers=carol),
        "admin_role_needs_admin",
    )
    assert (role_of("carol"), role_of("bob"), role_of("dave")) == ("people-ops", "member", None)


def test_a_member_manager_cannot_demote_or_remove_an_admin(client, lab):
    carol = lab["carol"]
    assert refused(
        client.patch(f"{MEMBERS}/alice", json={"role": "member"}, headers=carol),
        "admin_role_needs_admin",
    )
    assert refused(client.delete(f"{MEMBERS}/alice", headers=carol), "admin_role_needs_admin")
    assert role_of("alice") == "admin"


def test_roles_above_ones_own_are_refused(client, lab):
    carol = lab["carol"]
    above = client.patch(f"{MEMBERS}/bob", json={"role": "deleter"}, headers=carol)
    assert refused(above, "role_above_your_own")
    assert above.json["error"]["permissions"] == ["project:delete"]
    assert role_of("bob") == "member"
    # Once someone holds such a role, the manager can neither lower nor remove them.
    assert ok(client.patch(f"{MEMBERS}/bob", json={"role": "deleter"}, headers=lab["alice"]))
    assert refused(
        client.patch(f"{MEMBERS}/bob", json={"role": "member"}, headers=carol),
        "role_above_your_own",
    )
    assert refused(client.delete(f"{MEMBERS}/bob", headers=carol), "role_above_your_own")
    assert role_of("bob") == "deleter"


def test_a_member_manager_manages_roles_up_to_its_own(client, lab):
    carol = lab["carol"]
    assert ok(client.patch(f"{MEMBERS}/bob", json={"role": "view-only"}, headers=carol))
    assert ok(client.patch(f"{MEMBERS}/bob", json={"role": "people-ops"}, headers=carol))
    assert ok(client.post(MEMBERS, json={"username": "dave", "role": "member"}, headers=carol))
    assert client.delete(f"{MEMBERS}/dave", headers=carol).status_code == 204
    assert role_of("bob") == "people-ops"


def test_admins_and_system_admins_grant_and_take_admin(client, lab):
    assert ok(client.patch(f"{MEMBERS}/bob", json={"role": "admin"}, headers=lab["alice"]))
    assert ok(client.patch(f"{MEMBERS}/carol", json={"role": "admin"}, headers=lab["sam"]))
    assert ok(client.patch(f"{MEMBERS}/alice", json={"role": "member"}, headers=lab["bob"]))
    assert (role_of("alice"), role_of("bob"), role_of("carol")) == ("member", "admin", "admin")


def test_the_console_applies_the_same_rule(client, lab):
    login(client, "carol", PASSWORD)
    token = csrf_token(client.get("/teams/lab/members").get_data(as_text=True))
    client.post("/teams/lab/members/carol/role", data={"csrf_token": token, "role": "admin"})
    client.post("/teams/lab/members/alice/remove", data={"csrf_token": token})
    assert (role_of("carol"), role_of("alice")) == ("people-ops", "admin")


def test_custom_roles_cannot_name_the_admin_permission(client, lab):
    response = client.post(
        "/api/v1/roles",
        json={"name": "crown", "base": "member", "permissions": ["team:manage_admins"]},
        headers=lab["sam"],
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == "unknown_permission"
    assert "team:manage_admins" not in response.json["error"]["allowed"]
    login(client, "sam", PASSWORD)
    page = client.get("/admin/roles").get_data(as_text=True)
    assert 'value="team:manage_members"' in page and 'value="team:manage_admins"' not in page
