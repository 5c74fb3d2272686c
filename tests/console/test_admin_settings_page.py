"""Admin › Settings without JavaScript: grouped values and sources, saving with errors by field,
environment-managed settings read-only, the banner and instance name, the test e-mail."""

import re

from server.extensions import db
from server.models import AuditEvent
from server.services import system_settings
from tests.console.helpers import html as _html
from tests.console.helpers import signed_in
from tests.factories import make_user


def _setting_block(html: str, name: str) -> str:
    start = html.index(f'data-setting="{name}"')
    ends = [html.find(marker, start + 10) for marker in ('data-setting="', "</section>")]
    return html[start : min(end for end in ends if end > 0)]


def _form_values(admin, **changes):
    """What a browser would send back for the page as shown, with ``changes`` typed in."""
    html = _html(admin.get("/admin/settings"))
    data = {}
    for entry in system_settings.describe_settings():
        if not entry["editable"] or "is_set" in entry:
            continue
        if entry["type"] == "boolean":
            if entry["value"]:
                data[entry["name"]] = "y"
        elif entry["type"] == "list":
            data[entry["name"]] = "\n".join(entry["value"])
        else:
            data[entry["name"]] = str(entry["value"])
    assert "Save settings" in html
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_every_setting_is_shown_by_group_with_its_source(admin):
    system_settings.update_settings({"banner_message": "Hello"})
    html = _html(admin.get("/admin/settings"))
    for group in ("General", "Sign-in and security", "E-mail (SMTP)", "Storage", "Data retention"):
        assert f"<h2>{group}</h2>" in html
    for name in system_settings.SETTINGS:
        assert f'data-setting="{name}"' in html
    assert 'badge-database" title="Where the value comes from">saved' in _setting_block(
        html, "banner_message"
    )
    assert ">default</span>" in _setting_block(html, "instance_name")
    assert 'type="password"' in _setting_block(html, "smtp_password")
    assert 'type="password"' not in _setting_block(html, "smtp_username")


def test_saving_changes_only_what_changed(admin):
    response = admin.post(
        "/admin/settings",
        _form_values(admin, instance_name="Acme ML", session_hours="8", allow_public_projects=None),
    )
    assert response.status_code == 302
    page = _html(admin.get("/admin/settings"))
    assert "Saved: Allow public projects, Instance name, Session hours." in page
    assert system_settings.get_setting("instance_name") == "Acme ML"
    assert system_settings.get_setting("allow_public_projects") is False
    assert system_settings.get_setting("session_hours") == 8
    sources = {e["name"]: e["source"] for e in system_settings.describe_settings()}
    assert sources["signup_mode"] == "default"  # submitted unchanged, so not saved
    assert 'data-testid="instance-name">Acme ML<' in page


def test_bad_values_are_shown_by_field_and_nothing_is_saved(admin):
    response = admin.post(
        "/admin/settings",
        _form_values(admin, instance_name="Renamed", session_hours="eight", smtp_from="nope"),
    )
    assert response.status_code == 422
    html = _html(response)
    assert 'data-testid="error-session_hours">must be a whole number<' in html
    assert 'data-testid="error-smtp_from">' in html
    assert "Nothing was saved" in html
    assert 'value="Renamed"' in html  # what was typed stays in the form
    assert system_settings.get_setting("instance_name") == "Outpost"


def test_back_to_default_and_secrets_are_kept_when_left_empty(admin):
    system_settings.update_settings({"banner_message": "Old", "smtp_password": "s3cret"})
    html = _html(admin.get("/admin/settings"))
    assert "s3cret" not in html
    response = admin.post(
        "/admin/settings", _form_values(admin, reset__banner_message="y", smtp_password="")
    )
    assert response.status_code == 302
    assert system_settings.get_setting("banner_message") == ""
    assert system_settings.get_setting("smtp_password") == "s3cret"


def test_environment_settings_are_read_only_with_their_variable(make_app):
    app = make_app(instance_name="Managed Name", smtp_host="mail.corp")
    with app.app_context():
        client = signed_in(app.test_client(), make_user("root", system_admin=True, password=None))
        html = _html(client.get("/admin/settings"))
        block = _setting_block(html, "instance_name")
        assert "disabled" in block and 'value="Managed Name"' in block
        assert "Set by <code>OUTPOST_INSTANCE_NAME</code> in the environment" in block
        assert 'name="instance_name"' not in html
        assert "OUTPOST_SMTP_HOST" in _setting_block(html, "smtp_host")


def test_banner_and_instance_name_reach_every_signed_in_user(admin, member_console, client):
    system_settings.update_settings(
        {"banner_message": "Upgrade <tonight>", "banner_level": "critical", "instance_name": "Lab"}
    )
    home = _html(member_console.get("/"))
    assert 'class="banner banner-critical"' in home
    assert "Upgrade &lt;tonight&gt;" in home  # escaped, never rendered as markup
    assert 'data-testid="instance-name">Lab<' in home
    signed_out = _html(client.application.test_client().get("/login"))
    assert "Upgrade" not in signed_out and "Sign in to Lab" in signed_out


def test_test_email_without_smtp_says_so(admin):
    response = admin.post("/admin/settings/test-email", {"to": "root@example.test"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#email")
    html = _html(admin.get("/admin/settings"))
    assert "The test e-mail was not sent: E-mail is not set up" in html


def test_test_email_reaches_the_smtp_server(admin, smtp_sink):
    system_settings.update_settings(smtp_sink.settings())
    admin.post("/admin/settings/test-email", {"to": "ops@example.test"})
    html = _html(admin.get("/admin/settings"))
    assert re.search(r"Test e-mail sent to ops@example.test via 127\.0\.0\.1:\d+", html)
    assert [m.recipients for m in smtp_sink.messages] == [["ops@example.test"]]
    event = db.session.query(AuditEvent).filter_by(action="system:test_email").one()
    assert event.actor_name == "root" and event.result == "success"
