"""``/admin``: the admin home an operator opens first."""

from server.services import audit
from tests.console.helpers import html
from tests.factories import make_team, make_user


def test_the_admin_home_shows_health_counts_license_and_latest_events(admin):
    make_user("ada", password=None)
    make_team("lab")
    page = admin.get("/admin")
    assert page.status_code == 200
    text = html(page)
    assert 'data-testid="version"' in text
    assert 'data-check="database"' in text and 'data-check="storage"' in text
    assert "Problem" not in text  # both answer
    assert 'data-testid="kpi-users"><div class="kpi-value">2<' in text
    assert 'data-testid="kpi-teams"><div class="kpi-value">1<' in text
    assert "Free" in text  # no license installed
    assert "user:create" in text  # the latest audit events
    assert 'aria-current="page" class="current">Overview<' in text


def test_the_admin_home_warns_what_an_operator_must_fix(admin):
    text = html(admin.get("/admin"))
    # The test settings: the default URL on 127.0.0.1, no SMTP, maintenance never run.
    assert 'data-warning="presigned_loopback"' in text
    assert "http://127.0.0.1:8080" in text
    assert 'data-warning="smtp_not_set"' in text
    assert 'data-warning="maintenance_not_run"' in text and "has never run" in text


def test_a_recent_maintenance_run_and_a_public_url_clear_their_warnings(make_app):
    app = make_app(url="https://outpost.example.test")
    with app.app_context():
        from tests.console.helpers import signed_in

        client = signed_in(app.test_client(), make_user("root", system_admin=True, password=None))
        audit.record_now("audit_log:prune", target_type="audit_log", details={})
        text = html(client.get("/admin"))
        assert 'data-warning="maintenance_not_run"' not in text
        assert 'data-warning="presigned_loopback"' not in text
        assert 'data-warning="smtp_not_set"' in text


def test_only_system_admins_open_the_admin_home(member_console):
    refused = member_console.get("/admin")
    assert refused.status_code == 403
    # A person reads what happened, not the internal code (which stays for the API).
    text = html(refused)
    assert "You cannot open this" in text and "Permission denied</h1>" not in text
    assert 'data-code="permission_denied"' in text
