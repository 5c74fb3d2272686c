"""The administrative rows of the SPEC §3 permission table, as a matrix over principals.

Each row states who may do it; every principal below is tried through the real API with an API
key. The data-plane rows (reports, runs, artifacts, registry) live in ``test_matrix.py``.
"""

from datetime import timedelta
from secrets import token_hex

import pytest

from server import clock
from server.extensions import db
from server.models import Membership, Team, TeamInvitation, User
from server.services import licensing
from server.services import users as user_service
from tests.factories import add_member, bearer, make_key, make_team, make_user

PRINCIPALS = [
    "view_only",
    "member",
    "team_admin",
    "registry_admin",
    "service_account",
    "non_member",
    "system_admin",
    "deactivated",
]

# Expected outcome per principal: True = allowed, or the refusal status.
TABLE = {
    # one column per entry of PRINCIPALS, in that order
    "add_member": [403, 403, True, 403, 403, 404, True, 401],
    "remove_member": [403, 403, True, 403, 403, 404, True, 401],
    "change_role": [403, 403, True, 403, 403, 404, True, 401],
    "list_invitations": [403, 403, True, 403, 403, 404, True, 401],
    "revoke_invitation": [403, 403, True, 403, 403, 404, True, 401],
    "manage_settings": [403, 403, True, 403, 403, 404, True, 401],
    "create_team": [403, 403, 403, 403, 403, 403, True, 401],
    "delete_team": [403, 403, 403, 403, 403, 403, True, 401],
    "license": [403, 403, 403, 403, 403, 403, True, 401],
    "delete_user": [403, 403, 403, 403, 403, 403, True, 401],
}


@pytest.fixture
def world(issue_license):
    licensing.install_license(issue_license())
    people = {
        "view_only": make_user(),
        "member": make_user(),
        "team_admin": make_user(),
        "registry_admin": make_user(),
        "non_member": make_user(),
        "system_admin": make_user(system_admin=True),
        "deactivated": make_user(),
        "target": make_user("target"),
    }
    make_user("newbie")
    team = make_team(
        "lab",
        admins=[people["team_admin"]],
        members=[people["member"], people["target"], people["deactivated"]],
        viewers=[people["view_only"]],
    )
    add_member(team, people["registry_admin"], "view-only", registry_admin=True)
    account = User(username="lab-bot", kind="service_account", service_team_id=team.id)
    db.session.add(account)
    db.session.flush()
    db.session.add(Membership(team_id=team.id, user_id=account.id, role="member"))
    db.session.commit()
    people["service_account"] = account
    keys = {name: make_key(user) for name, user in people.items()}
    user_service.deactivate(people["deactivated"])
    _deactivated_person("gone")
    return keys


def _deactivated_person(username: str) -> None:
    user_service.deactivate(make_user(username, password=None))


def _attempt(client, action, key):
    h = bearer(key)
    if action == "add_member":
        return client.post("/api/v1/teams/lab/members", json={"username": "newbie"}, headers=h)
    if action == "remove_member":
        return client.delete("/api/v1/teams/lab/members/target", headers=h)
    if action == "change_role":
        return client.patch("/api/v1/teams/lab/members/target", json={"role": "admin"}, headers=h)
    if action == "list_invitations":
        return client.get("/api/v1/teams/lab/invitations", headers=h)
    if action == "revoke_invitation":
        return client.delete(f"/api/v1/teams/lab/invitations/{_open_invitation()}", headers=h)
    if action == "manage_settings":
        return client.patch("/api/v1/teams/lab", json={"display_name": "Lab"}, headers=h)
    if action == "create_team":
        return client.post("/api/v1/teams", json={"name": "another"}, headers=h)
    if action == "delete_team":
        return client.delete("/api/v1/teams/lab", json={"confirm": "lab"}, headers=h)
    if action == "license":
        return client.get("/api/v1/system/license", headers=h)
    if action == "delete_user":
        return client.delete("/api/v1/users/gone", json={"confirm": "gone"}, headers=h)
    raise AssertionError(action)


@pytest.mark.parametrize("action", list(TABLE))
def test_admin_matrix(client, world, action):
    outcomes = {}
    for principal, expected in zip(PRINCIPALS, TABLE[action], strict=True):
        response = _attempt(client, action, world[principal])
        got = True if response.status_code < 300 else response.status_code
        outcomes[principal] = (got, expected)
        if got is True:
            # Undo what an allowed call changed so the next principal meets the same world.
            db.session.rollback()
            _restore(client, action, world["system_admin"])
    wrong = {p: o for p, o in outcomes.items() if o[0] != o[1]}
    assert wrong == {}, f"{action}: (got, expected) {wrong}"


def _open_invitation() -> int:
    """A fresh invitation of ``lab`` for an e-mail without an account; returns its id."""
    team = db.session.query(Team).filter_by(slug="lab").one()
    invitation = TeamInvitation(
        team_id=team.id,
        email=f"{token_hex(4)}@example.test",
        token_hash=token_hex(32),
        expires_at=clock.now() + timedelta(days=1),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation.id


def _restore(client, action, admin_key):
    h = bearer(admin_key)
    if action == "add_member":
        client.delete("/api/v1/teams/lab/members/newbie", headers=h)
    elif action == "remove_member":
        client.post("/api/v1/teams/lab/members", json={"username": "target"}, headers=h)
    elif action == "change_role":
        client.patch("/api/v1/teams/lab/members/target", json={"role": "member"}, headers=h)
    elif action == "create_team":
        from server.models import Team

        db.session.query(Membership).filter(
            Membership.team_id.in_(db.session.query(Team.id).filter_by(slug="another"))
        ).delete(synchronize_session=False)
        db.session.query(Team).filter_by(slug="another").delete()
        db.session.commit()
    elif action == "delete_team":
        client.post("/api/v1/teams/lab/restore", headers=h)
    elif action == "delete_user":
        _deactivated_person("gone")
