"""Pending team invitations: team admins list, revoke and resend the links they sent to
e-mails without an account; the token never shows in the list, a revoked or replaced link
stops working at once, and nobody outside the team's admins sees or touches them."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from server import clock
from server.extensions import db
from server.models import AuditEvent, TeamInvitation
from server.services import system_settings
from tests.factories import add_member, bearer, count_queries, make_key, make_team, make_user

BASE = "/api/v1/teams/lab/invitations"


@pytest.fixture
def world():
    admin, member, viewer = make_user("alice"), make_user("bob"), make_user("vera")
    team = make_team("lab", admins=[admin], members=[member], viewers=[viewer])
    other_admin = make_user("olga")
    make_team("other", admins=[other_admin])
    return {
        "team": team,
        "admin": make_key(admin),
        "member": make_key(member),
        "viewer": make_key(viewer),
        "other_admin": make_key(other_admin),
        "outsider": make_key(make_user("eve")),
        "sysadmin": make_key(make_user("root", system_admin=True)),
    }


def invite(client, key, email, team="lab", role="member"):
    response = client.post(
        f"/api/v1/teams/{team}/members", json={"email": email, "role": role}, headers=bearer(key)
    )
    assert response.status_code == 201 and response.json["status"] == "invited", response.json
    return response.json["invite_url"].rsplit("/", 1)[1]


def listing(client, key, query=""):
    response = client.get(BASE + query, headers=bearer(key))
    assert response.status_code == 200, response.json
    return response.json


def accept(client, token, email):
    return client.post(
        f"/api/v1/invitations/{token}/accept", headers=bearer(make_key(make_user(email=email)))
    )


def test_admin_lists_open_invitations_without_their_tokens(client, world):
    token = invite(client, world["admin"], "New@Example.test", role="admin")
    used = invite(client, world["admin"], "joined@example.test")
    assert accept(client, used, "joined@example.test").status_code == 200
    response = client.get(BASE, headers=bearer(world["admin"]))
    assert response.status_code == 200
    [item] = response.json["items"]
    assert set(item) == {"id", "email", "role", "invited_by", "created_at", "expires_at", "state"}
    assert item["email"] == "new@example.test" and item["role"] == "admin"
    assert item["invited_by"] == "alice" and item["state"] == "pending"
    assert item["expires_at"] > item["created_at"]
    assert response.json["next_cursor"] is None
    text = response.get_data(as_text=True)
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert token not in text and digest not in text and "token" not in text


def test_expired_invitations_are_marked_and_the_state_filter_narrows(app, client, world):
    invite(client, world["admin"], "old@example.test")
    later = clock.now() + timedelta(days=app.config["OUTPOST"].invitation_days, seconds=1)
    app.config["OUTPOST_CLOCK"] = lambda: later
    invite(client, world["admin"], "fresh@example.test")
    states = {i["email"]: i["state"] for i in listing(client, world["admin"])["items"]}
    assert states == {"old@example.test": "expired", "fresh@example.test": "pending"}
    pending = listing(client, world["admin"], "?state=pending")["items"]
    assert [i["email"] for i in pending] == ["fresh@example.test"]
    expired = listing(client, world["admin"], "?state=expired")["items"]
    assert [i["email"] for i in expired] == ["old@example.test"]
    bad = client.get(BASE + "?state=accepted", headers=bearer(world["admin"]))
    assert bad.status_code == 422 and bad.json["error"]["code"] == "validation_failed"


def test_the_list_is_paginated_by_cursor(client, world):
    emails = [f"p{n}@example.test" for n in range(5)]
    for email in emails:
        invite(client, world["admin"], email)
    seen, cursor = [], None
    for _ in range(5):
        page = listing(
            client, world["admin"], f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        )
        assert len(page["items"]) <= 2
        seen += [i["email"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == emails
    bad = client.get(BASE + "?cursor=!!", headers=bearer(world["admin"]))
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_cursor"


def test_the_list_costs_the_same_queries_for_2_or_20_invitations(client, world):
    team = world["team"]
    inviters = [make_user() for _ in range(20)]
    for user in inviters:
        add_member(team, user, "admin")
    keys = [make_key(user) for user in inviters]
    counts = []
    for batch in (keys[:2], keys[2:]):
        for key in batch:
            invite(client, key, f"{key[:8].lower()}@example.test")
        client.get("/api/v1/viewer", headers=bearer(world["admin"]))  # last-used write first
        with count_queries() as seen:
            body = listing(client, world["admin"], "?limit=200")
        assert len({i["invited_by"] for i in body["items"]}) == len(body["items"])
        counts.append(len(seen))
    assert counts[0] == counts[1], counts


def test_a_revoked_link_stops_working_at_once_and_is_audited(client, world):
    token = invite(client, world["admin"], "gone@example.test")
    [item] = listing(client, world["admin"])["items"]
    response = client.delete(f"{BASE}/{item['id']}", headers=bearer(world["admin"]))
    assert response.status_code == 204
    assert listing(client, world["admin"])["items"] == []
    refused = accept(client, token, "gone@example.test")
    assert refused.status_code == 404 and refused.json["error"]["code"] == "invitation_invalid"
    assert client.get(f"/invitations/{token}").status_code == 404
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member:invite_revoke"))
    assert event.actor_name == "alice" and event.target_name == "gone@example.test"
    assert event.team_id == world["team"].id and event.target_id == str(item["id"])
    again = client.delete(f"{BASE}/{item['id']}", headers=bearer(world["admin"]))
    assert again.status_code == 404 and again.json["error"]["code"] == "invitation_not_found"


def test_another_teams_unknown_or_accepted_ids_are_invitation_not_found(client, world):
    invite(client, world["other_admin"], "theirs@example.test", team="other")
    theirs = client.get("/api/v1/teams/other/invitations", headers=bearer(world["other_admin"]))
    other_id = theirs.json["items"][0]["id"]
    used = invite(client, world["admin"], "joined@example.test")
    assert accept(client, used, "joined@example.test").status_code == 200
    accepted_id = db.session.scalar(
        select(TeamInvitation.id).where(TeamInvitation.email == "joined@example.test")
    )
    h = bearer(world["admin"])
    for invitation_id in (other_id, accepted_id, 999999, 2**40):
        for response in (
            client.delete(f"{BASE}/{invitation_id}", headers=h),
            client.post(f"{BASE}/{invitation_id}/resend", headers=h),
        ):
            assert response.status_code == 404, (invitation_id, response.json)
            assert response.json["error"]["code"] == "invitation_not_found"
    still = client.get("/api/v1/teams/other/invitations", headers=bearer(world["other_admin"]))
    assert [i["id"] for i in still.json["items"]] == [other_id]


def test_members_view_only_and_outsiders_are_refused(client, world):
    invite(client, world["admin"], "x@example.test")
    [item] = listing(client, world["admin"])["items"]
    for who, status, code in [
        ("member", 403, "permission_denied"),
        ("viewer", 403, "permission_denied"),
        ("other_admin", 404, "team_not_found"),
        ("outsider", 404, "team_not_found"),
    ]:
        h = bearer(world[who])
        for response in (
            client.get(BASE, headers=h),
            client.delete(f"{BASE}/{item['id']}", headers=h),
            client.post(f"{BASE}/{item['id']}/resend", headers=h),
        ):
            assert response.status_code == status, (who, response.request.method)
            assert response.json["error"]["code"] == code
    assert client.get(BASE).status_code == 401
    assert [i["id"] for i in listing(client, world["admin"])["items"]] == [item["id"]]


def test_a_system_admin_may_list_and_revoke(client, world):
    invite(client, world["admin"], "x@example.test")
    [item] = listing(client, world["sysadmin"])["items"]
    assert client.delete(f"{BASE}/{item['id']}", headers=bearer(world["sysadmin"])).status_code == (
        204
    )
    assert listing(client, world["admin"])["items"] == []


def test_resend_replaces_the_link_and_renews_an_expired_one(app, client, world):
    old = invite(client, world["admin"], "late@example.test")
    later = clock.now() + timedelta(days=app.config["OUTPOST"].invitation_days, hours=1)
    app.config["OUTPOST_CLOCK"] = lambda: later
    [item] = listing(client, world["admin"])["items"]
    assert item["state"] == "expired"
    response = client.post(f"{BASE}/{item['id']}/resend", headers=bearer(world["admin"]))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["id"] == item["id"] and body["state"] == "pending"
    assert body["expires_at"] > item["expires_at"]
    assert body["email_sent"] is False and "pass the link on" in body["email_error"]
    new = body["invite_url"].rsplit("/", 1)[1]
    assert new != old
    assert client.get(f"/invitations/{old}").status_code == 404
    assert client.get(f"/invitations/{new}").status_code == 200
    audited = db.session.scalar(
        select(AuditEvent.target_name).where(AuditEvent.action == "member:reinvite")
    )
    assert audited == "late@example.test"
    joined = accept(client, new, "late@example.test")
    assert joined.status_code == 200 and joined.json == {"team": "lab", "role": "member"}
    assert listing(client, world["admin"])["items"] == []


def test_resend_emails_the_new_link_when_smtp_is_set_up(client, world, smtp_sink):
    invite(client, world["admin"], "mail@example.test")
    system_settings.update_settings(smtp_sink.settings())
    [item] = listing(client, world["admin"])["items"]
    body = client.post(f"{BASE}/{item['id']}/resend", headers=bearer(world["admin"])).json
    assert body["email_sent"] is True and body["email_error"] is None
    [message] = smtp_sink.messages
    assert message.recipients == ["mail@example.test"]
    assert body["invite_url"] in message.text()


def test_a_custom_role_invitation_lists_the_roles_name(client, world, issue_license):
    from server.services import licensing, roles

    licensing.install_license(issue_license())
    roles.create_role("auditor", "view-only", ["artifact:download"])
    invite(client, world["admin"], "aud@example.test", role="auditor")
    [item] = listing(client, world["admin"])["items"]
    assert item["role"] == "auditor"


def test_deleting_a_custom_role_sends_its_open_invitations_to_the_base_role(
    client, world, issue_license
):
    from server.models import CustomRole
    from server.services import licensing, roles

    licensing.install_license(issue_license())
    roles.create_role("auditor", "view-only", ["artifact:download"])
    token = invite(client, world["admin"], "aud@example.test", role="auditor")
    roles.delete_role(db.session.scalar(select(CustomRole).where(CustomRole.name == "auditor")))
    [item] = listing(client, world["admin"])["items"]
    assert item["role"] == "view-only"
    joined = accept(client, token, "aud@example.test")
    assert joined.status_code == 200 and joined.json["role"] == "view-only", joined.json


def test_inviting_an_email_again_while_its_link_works_is_409(app, client, world):
    invite(client, world["admin"], "twice@example.test")
    again = client.post(
        "/api/v1/teams/lab/members",
        json={"email": "Twice@example.test", "role": "member"},
        headers=bearer(world["admin"]),
    )
    assert again.status_code == 409 and again.json["error"]["code"] == "already_invited"
    [item] = listing(client, world["admin"])["items"]
    assert again.json["error"]["invitation_id"] == item["id"]
    later = clock.now() + timedelta(days=app.config["OUTPOST"].invitation_days, seconds=1)
    app.config["OUTPOST_CLOCK"] = lambda: later
    token = invite(client, world["admin"], "twice@example.test", role="admin")
    [item] = listing(client, world["admin"])["items"]  # the expired one gave way
    assert item["role"] == "admin" and item["state"] == "pending"
    assert accept(client, token, "twice@example.test").status_code == 200
