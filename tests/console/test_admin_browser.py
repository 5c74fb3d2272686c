"""The system-admin console in a real browser, used as a person would: settings and a test
e-mail, inviting and deactivating a user, deleting and restoring a team, licenses and custom
roles, and a member who is turned away."""

import pytest

from server.extensions import db
from tests.factories import PASSWORD, make_team, make_user
from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def app(make_app):
    """The instance with one setting managed by the environment (OUTPOST_AUDIT_RETENTION_DAYS)."""
    app = make_app(audit_retention_days=400)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def root():
    return make_user("root", system_admin=True, display_name="Root Admin")


def test_change_settings_and_send_a_test_email(page, root, smtp_sink):
    sign_in(page, "root", PASSWORD)
    page.click("text=Admin")
    assert page.url.endswith("/admin")  # the admin home
    page.click(".admin-nav >> text=Settings")
    assert page.url.endswith("/admin/settings")
    retention = page.locator('[data-setting="audit_retention_days"]')
    assert retention.locator("input").is_disabled()
    assert "OUTPOST_AUDIT_RETENTION_DAYS" in retention.inner_text()

    page.fill("#instance_name", "Acme ML")
    page.fill("#banner_message", "Maintenance on Saturday")
    page.select_option("#banner_level", "warning")
    page.fill("#smtp_host", "127.0.0.1")
    page.fill("#smtp_port", str(smtp_sink.port))
    page.select_option("#smtp_security", "none")
    page.fill("#smtp_from", "outpost@acme.test")
    page.click("text=Save settings")
    page.wait_for_selector(".flash-success")
    assert page.inner_text('[data-testid="instance-name"]') == "Acme ML"
    assert page.inner_text('[data-testid="system-banner"]') == "Maintenance on Saturday"

    page.fill("#session_hours", "many")
    page.click("text=Save settings")
    assert page.inner_text('[data-testid="error-session_hours"]') == "must be a whole number"

    page.goto("/admin/settings")
    page.fill("#test-email-to", "ops@acme.test")
    page.click("text=Send test e-mail")
    page.wait_for_selector("text=Test e-mail sent to ops@acme.test")
    assert [m.recipients for m in smtp_sink.messages] == [["ops@acme.test"]]
    assert smtp_sink.messages[0].message["From"] == "Acme ML <outpost@acme.test>"


def test_invite_a_user_who_joins_then_deactivate_them(page, browser, live_server, root):
    sign_in(page, "root", PASSWORD)
    page.goto("/admin/users")
    page.fill('input[name="email"]', "ada@example.test")
    page.click("button:has-text('Invite')")
    link = page.input_value("#invite-link")
    assert "/invite/" in link

    invitee = browser.new_context(base_url=live_server).new_page()
    invitee.goto("/invite/" + link.rsplit("/invite/", 1)[1])  # the link names the public URL
    invitee.fill("input[name=username]", "ada")
    invitee.fill("input[name=display_name]", "Ada Lovelace")
    invitee.fill("input[name=password]", "a long enough password")
    invitee.fill("input[name=confirm]", "a long enough password")
    invitee.click("text=Create account and sign in")
    invitee.wait_for_selector("text=Welcome, Ada Lovelace")

    page.goto("/admin/users?q=ada")
    row = page.locator('tr[data-username="ada"]')
    assert "active" in row.inner_text()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    row.locator("button:has-text('Deactivate')").click()
    assert asked and asked[0].startswith("Deactivate ada?")
    assert "active" in page.locator('tr[data-username="ada"]').inner_text()  # nothing changed
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button:has-text('Deactivate')").click()
    page.wait_for_selector("text=ada is deactivated")
    invitee.reload()
    assert "/login" in invitee.url  # their session ended at once
    invitee.context.close()


def test_create_delete_and_restore_a_team(page, root):
    sign_in(page, "root", PASSWORD)
    page.goto("/admin/teams")
    page.fill('input[name="name"]', "vision")
    page.fill('input[name="display_name"]', "Vision")
    page.click("text=Create team")
    page.wait_for_selector("text=Team vision created with bucket")

    page.locator('tr[data-team="vision"]').locator("text=Delete…").click()
    assert "restore the team" in page.inner_text("main")
    page.fill('input[name="confirm"]', "vison")
    page.click("button:has-text('Delete team')")
    page.wait_for_selector("text=Type the team name (vision) to confirm deletion.")
    page.fill('input[name="confirm"]', "vision")
    page.click("button:has-text('Delete team')")
    page.wait_for_selector("text=It can be restored until")

    deleted = page.locator('[data-testid="deleted-teams"] tr[data-team="vision"]')
    deleted.locator("button:has-text('Restore')").click()
    page.wait_for_selector("text=Team vision restored")
    assert page.locator('[data-testid="teams"] tr[data-team="vision"]').count() == 1


def test_a_teams_page_renames_and_hands_over_then_a_user_is_deleted(page, root):
    ada, bob = make_user("ada", password=None), make_user("bob", password=None)
    make_team("vision", display_name="Vision", admins=[ada], members=[bob])
    sign_in(page, "root", PASSWORD)
    page.goto("/admin/teams")
    page.locator('tr[data-team="vision"]').locator("a:has-text('Vision')").click()
    assert page.url.endswith("/admin/teams/vision")
    asked = []
    page.fill("[data-testid=team-rename] input[name=display_name]", "Vision Lab")
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.click("[data-testid=team-rename] button:has-text('Rename')")
    page.wait_for_selector(".flash-success")
    assert asked[0].startswith("Rename vision?") and page.url.endswith("/admin/teams/vision")
    assert page.inner_text("h1") == "Vision Lab"
    page.fill("[data-testid=team-transfer] input[name=member]", "bob")
    page.check("[data-testid=team-transfer] input[name=demote_others]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=team-transfer] button:has-text('Transfer')")
    page.wait_for_selector("text=bob is now an admin of vision. ada became member.")

    page.goto("/admin/users/ada")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=user-actions] button:has-text('Deactivate')")
    page.wait_for_selector("[data-testid=user-state]:has-text('deactivated')")
    page.click("[data-testid=delete-user]")
    assert "Membership of vision" in page.inner_text("[data-testid=delete-removed]")
    page.fill("input[name=confirm]", "ada")
    page.click("button:has-text('Delete ada')")
    page.wait_for_selector("text=ada deleted.")
    assert page.url.endswith("/admin/users")


def test_licenses_then_a_custom_role_and_a_member_turned_away(
    page, browser, live_server, root, issue_license
):
    from datetime import UTC, datetime, timedelta

    make_user("member")
    sign_in(page, "root", PASSWORD)
    page.goto("/admin/roles")
    assert "needs an enterprise license" in page.inner_text('[data-testid="roles-license-note"]')

    page.click("text=Go to the license page")
    expired = issue_license(now=datetime.now(UTC) - timedelta(days=400))
    page.fill('textarea[name="token"]', expired)
    page.click("text=Install license")
    assert "This license has expired." in page.inner_text('[data-testid="license-refusal"]')

    page.set_input_files(
        'input[name="file"]',
        {"name": "acme.license", "mimeType": "text/plain", "buffer": issue_license().encode()},
    )
    page.click("text=Install license")
    page.wait_for_selector("text=License installed.")
    assert page.inner_text('[data-testid="license-state"]') == "valid"

    page.goto("/admin/roles")
    page.fill('input[name="name"]', "auditor")
    page.select_option('select[name="base"]', "view-only")
    page.check('input[value="artifact:download"]')
    page.click("text=Create role")
    page.wait_for_selector("text=Custom role auditor created.")
    assert "artifact:download" in page.inner_text('tr[data-role="auditor"]')

    other = browser.new_context(base_url=live_server).new_page()
    sign_in(other, "member", PASSWORD)
    response = other.goto("/admin/roles")
    assert response.status == 403
    assert "Only system admins can do this." in other.inner_text("main")
    other.context.close()
