"""Deleting a person (``DELETE /api/v1/users/<username>`` and Admin › Users › Delete): only
after deactivation, never yourself, the last system admin or a team's only admin; their runs,
reports, comments, sweeps and artifacts stay (shown as "deleted user"), their keys, sessions,
memberships and pending invitations go, and the deletion is audited. Runs on SQLite and
PostgreSQL (every foreign key to users must let the row go without an integrity error)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server import clock
from server.errors import Conflict
from server.extensions import db
from server.models import (
    ApiKey,
    ArtifactVersion,
    AuditEvent,
    ConsoleSession,
    Membership,
    Report,
    ReportComment,
    Run,
    Sweep,
    TeamInvitation,
    User,
    UserInvite,
)
from server.services import audit, console_sessions, user_deletion
from tests.console.data_world import BASE, seed
from tests.console.helpers import html, signed_in
from tests.factories import bearer, make_key, make_sweep, make_user


@pytest.fixture
def world(app):
    return seed(app)


@pytest.fixture
def root():
    return make_user("root", system_admin=True, password=None)


def _delete(client, key, username, confirm):
    return client.delete(
        f"/api/v1/users/{username}", json={"confirm": confirm}, headers=bearer(key)
    )


def _deactivate(client, key, username):
    response = client.patch(
        f"/api/v1/users/{username}", json={"state": "deactivated"}, headers=bearer(key)
    )
    assert response.status_code == 200, response.json


def _mias_extras(world):
    """A comment, a sweep, a console session, a pending team invitation and an instance
    invitation link that mia sent, beside the seeded runs, report, artifact and key."""
    mia = world.users["mia"]
    report = db.session.scalar(select(Report))
    db.session.add(ReportComment(report_id=report.id, body="Nice.", created_by_id=mia.id))
    make_sweep(world.project, mia)
    console_sessions.start(mia.id)
    expires = clock.now() + timedelta(days=3)
    db.session.add(
        TeamInvitation(
            team_id=world.project.team_id,
            email="new@example.test",
            token_hash="a" * 64,
            invited_by_id=mia.id,
            expires_at=expires,
        )
    )
    invited = make_user("newbie", password=None)
    invited.state = "invited"
    db.session.add(
        UserInvite(
            user_id=invited.id, token_hash="b" * 64, invited_by_id=mia.id, expires_at=expires
        )
    )
    db.session.commit()


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_deleting_keeps_the_work_and_removes_the_access(world, root, client):
    key = make_key(root)
    mia = world.users["mia"]
    mia_id = mia.id
    mia_key = make_key(mia)
    _mias_extras(world)

    refused = _delete(client, key, "mia", "mia")
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "user_not_deactivated"
    _deactivate(client, key, "mia")
    wrong = _delete(client, key, "mia", "max")
    assert wrong.status_code == 422
    assert wrong.json["error"]["code"] == "confirmation_required"

    response = _delete(client, key, "mia", "mia")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["kept"]["runs"] == 2 and body["kept"]["reports"] == 1
    assert body["kept"]["comments"] == 1 and body["kept"]["sweeps"] == 1
    assert body["kept"]["artifact_versions"] == 1
    assert body["removed"] == {"api_keys": 2, "sessions": 1, "invitations": 2, "teams": ["acme"]}

    db.session.expire_all()
    assert db.session.get(User, mia_id) is None
    assert client.get("/api/v1/users/mia", headers=bearer(key)).status_code == 404
    assert client.get("/api/v1/viewer", headers=bearer(mia_key)).status_code == 401
    # The work stays, creator emptied (shown as "deleted user").
    runs = db.session.scalars(select(Run).where(Run.run_id.in_(["r1", "r3"]))).all()
    assert len(runs) == 2 and all(run.created_by_id is None for run in runs)
    assert _count(Report, Report.created_by_id.is_(None)) == 1
    assert _count(ReportComment, ReportComment.created_by_id.is_(None)) == 1
    assert _count(Sweep, Sweep.created_by_id.is_(None)) == 1
    assert _count(ArtifactVersion, ArtifactVersion.created_by_id.is_(None)) == 1
    # The access goes.
    assert _count(ApiKey, ApiKey.user_id == mia_id) == 0
    assert _count(ConsoleSession, ConsoleSession.user_id == mia_id) == 0
    assert _count(Membership, Membership.user_id == mia_id) == 0
    assert _count(TeamInvitation) == 0 and _count(UserInvite) == 0
    # Audited, and her own past events keep her name.
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user:delete"))
    assert (event.actor_name, event.target_name) == ("root", "mia")
    assert event.details["runs"] == 2 and event.details["teams"] == ["acme"]
    assert _count(AuditEvent, AuditEvent.actor_name == "mia", AuditEvent.actor_id.is_(None)) > 0
    # The username is free again.
    assert make_user("mia", password=None).id != mia_id


def test_the_console_shows_deleted_user_on_the_work_left_behind(world, root, client):
    key = make_key(root)
    _deactivate(client, key, "mia")
    assert _delete(client, key, "mia", "mia").status_code == 200
    ada = signed_in(client, world.users["ada"])
    assert "deleted user" in html(ada.get(f"{BASE}/runs/r1"))
    report = db.session.scalar(select(Report))
    assert "By deleted user" in html(ada.get(f"{BASE}/reports/{report.id}"))


def test_yourself_a_teams_only_admin_and_the_last_system_admin_are_refused(world, root, client):
    key = make_key(root)
    member = make_key(world.users["max"])
    denied = _delete(client, member, "mia", "mia")
    assert (denied.status_code, denied.json["error"]["code"]) == (403, "permission_denied")
    mine = _delete(client, key, "root", "root")
    assert (mine.status_code, mine.json["error"]["code"]) == (409, "cannot_delete_self")
    _deactivate(client, key, "ada")  # acme's only admin
    only_admin = _delete(client, key, "ada", "ada")
    assert only_admin.status_code == 409
    assert only_admin.json["error"]["code"] == "last_team_admin"
    assert "acme" in only_admin.json["error"]["message"]
    assert db.session.get(User, world.users["ada"].id) is not None

    old = make_user("old", system_admin=True, password=None)
    old.state, root.system_admin = "deactivated", False
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        user_deletion.delete_user(None, old, "old")
    assert refused.value.code == "last_system_admin"
    db.session.rollback()


def test_the_console_confirms_with_what_stays_and_what_goes(world, root, client, app):
    member = signed_in(app.test_client(), world.users["max"])
    assert member.get("/admin/users/mia/delete").status_code == 403
    assert member.post("/admin/users/mia/delete", {"confirm": "mia"}).status_code == 403
    admin = signed_in(client, root)
    active = html(admin.get("/admin/users/mia/delete"))
    assert 'data-testid="delete-refusal">Deactivate mia first' in active
    assert "Delete mia</button>" not in active
    admin.post("/admin/users/mia/change", {"change": "deactivate", "next": "/admin/users/mia"})
    detail = html(admin.get("/admin/users/mia"))
    assert 'href="/admin/users/mia/delete"' in detail
    assert 'href="/admin/users/mia/delete"' in html(admin.get("/admin/users?state=deactivated"))
    page = html(admin.get("/admin/users/mia/delete"))
    assert "2 runs" in page and "1 report," in page and "1 artifact version" in page
    assert "Membership of acme" in page and "deleted user" in page
    typo = admin.post("/admin/users/mia/delete", {"confirm": "mi"})
    assert typo.status_code == 422 and "Type the username (mia)" in html(typo)
    done = admin.post("/admin/users/mia/delete", {"confirm": "mia"})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/users"
    assert "mia deleted." in html(admin.get("/admin/users"))
    assert admin.get("/admin/users/mia").status_code == 404


def _references_to(user_id: int) -> dict[str, int]:
    """``{"table.column": rows}`` for every foreign key to users holding ``user_id``."""
    found = {}
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and table.name != "users":
                column = fk.parent
                rows = db.session.scalar(
                    select(func.count()).select_from(table).where(column == user_id)
                )
                if rows:
                    found[f"{table.name}.{column.name}"] = rows
    return found


def test_every_foreign_key_to_users_lets_the_row_go(world, root):
    """ada made the team, its registry and a public run, has a profile, SSO and GitHub
    identities, a SCIM token, follows and SSO grants: all of it goes or stays without an
    integrity error on either database."""
    from server.models import (
        GithubConnection,
        ReportFollow,
        ScimToken,
        SsoTeamGrant,
        UserIdentity,
        UserProfile,
    )
    from server.services import team_overview
    from server.services import teams as team_service
    from server.services import users as user_service

    ada = world.users["ada"]
    ada_id, team = ada.id, team_service.load_team("acme")
    team_overview.transfer_admin(None, team, "max", demote_others=True)
    report = db.session.scalar(select(Report))
    db.session.add_all(
        [
            UserProfile(user_id=ada_id, institution="Acme"),
            ReportFollow(report_id=report.id, user_id=ada_id),
            UserIdentity(user_id=ada_id, issuer="https://idp.test", subject="ada"),
            GithubConnection(user_id=ada_id, github_login="ada", github_id=1, token_sealed="x"),
            ScimToken(name="idp", token_id="t" * 16, secret_hash="h" * 64, created_by_id=ada_id),
            SsoTeamGrant(user_id=ada_id, team_id=team.id),
        ]
    )
    audit.record("user:update", actor=ada, target=ada)
    db.session.commit()
    before = _references_to(ada_id)
    expected = {
        "teams.created_by_id",
        "projects.created_by_id",
        "runs.created_by_id",
        "registered_models.created_by_id",
        "model_versions.created_by_id",
        "audit_events.actor_id",
        "user_profiles.user_id",
        "report_follows.user_id",
        "user_identities.user_id",
        "github_connections.user_id",
        "scim_tokens.created_by_id",
        "sso_team_grants.user_id",
        "memberships.user_id",
    }
    assert expected <= set(before), sorted(expected - set(before))
    user_service.deactivate(ada)
    user_deletion.delete_user(root, db.session.get(User, ada_id), "ada")
    assert _references_to(ada_id) == {}
    assert db.session.get(User, ada_id) is None
    assert db.session.scalar(select(func.count()).select_from(Run)) == 4  # every run stays
    kept = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user:update"))
    assert (kept.actor_id, kept.actor_name) == (None, "ada")
