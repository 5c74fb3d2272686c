"""SCIM tokens: made by a system admin in the console or the CLI, shown once, stored hashed,
revocable, audited; refused on every other door."""

from __future__ import annotations

from server.cli import main
from server.extensions import db
from server.models import AuditEvent, ScimToken
from tests.factories import bearer, csrf_token, login, make_user


def test_console_creates_shows_once_and_revokes(client):
    make_user("root", system_admin=True)
    login(client, "root")
    page = client.get("/admin/scim")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/scim/v2" in html and "No SCIM tokens yet" in html
    created = client.post(
        "/admin/scim/tokens", data={"name": "okta", "csrf_token": csrf_token(html)}
    ).get_data(as_text=True)
    token = created.split('id="new-token" readonly value="', 1)[1].split('"', 1)[0]
    assert token.startswith("scim_")
    row = db.session.query(ScimToken).filter_by(name="okta").one()
    assert token not in (row.secret_hash, row.token_id)  # only a hash is kept
    assert client.get("/scim/v2/Users", headers=bearer(token)).status_code == 200

    listing = client.get("/admin/scim").get_data(as_text=True)
    assert token not in listing and row.token_id in listing
    without_csrf = client.post("/admin/scim/tokens/okta/revoke")
    assert client.get("/scim/v2/Users", headers=bearer(token)).status_code == 200
    assert without_csrf.status_code in (302, 400)
    client.post("/admin/scim/tokens/okta/revoke", data={"csrf_token": csrf_token(listing)})
    assert client.get("/scim/v2/Users", headers=bearer(token)).status_code == 401
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert "scim_token:create" in actions and "scim_token:revoke" in actions


def test_only_system_admins_reach_the_page(client):
    make_user("someone")
    login(client, "someone")
    assert client.get("/admin/scim").status_code == 403


def test_cli_prints_the_token_on_the_last_line_and_revokes(app, client):
    runner = app.test_cli_runner()
    made = runner.invoke(main, ["scim-tokens", "create", "entra"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert client.get("/scim/v2/ServiceProviderConfig", headers=bearer(token)).status_code == 200
    assert "entra" in runner.invoke(main, ["scim-tokens", "list"]).stdout
    taken = runner.invoke(main, ["scim-tokens", "create", "entra"])
    assert taken.exit_code != 0 and "exists" in taken.output
    assert runner.invoke(main, ["scim-tokens", "revoke", "entra"]).exit_code == 0
    assert client.get("/scim/v2/Users", headers=bearer(token)).status_code == 401
    missing = runner.invoke(main, ["scim-tokens", "revoke", "entra"])
    assert missing.exit_code != 0 and "No SCIM token" in missing.output
