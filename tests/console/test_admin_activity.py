"""The activity dashboard and audit-log pages, server-rendered (no JavaScript needed)."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from server.extensions import db
from server.models import AuditEvent
from server.services import activity
from tests.factories import login, make_team, make_user

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def admin_client(client):
    make_user("root", system_admin=True)
    assert login(client, "root").status_code == 302
    return client


def _record(kind, user, days_ago, team=None, count=1):
    activity.record_activity(
        kind,
        user_id=user.id,
        team_id=team.id if team else None,
        at=NOW - timedelta(days=days_ago),
        count=count,
    )


def test_the_dashboard_draws_charts_for_the_period(app, admin_client):
    app.config["OUTPOST_CLOCK"] = lambda: NOW
    ada = make_user("ada", password=None)
    lab = make_team("lab")
    for days_ago in (0, 2, 3):
        _record("active", ada, days_ago)
    _record("run_created", ada, 2, team=lab, count=7)
    db.session.commit()

    html = admin_client.get("/admin/activity").get_data(as_text=True)
    active = re.search(r'<svg[^>]*data-testid="chart-active-users".*?</svg>', html, re.S).group(0)
    assert active.count('class="point"') == 30
    assert 'data-day="2026-03-13" data-value="1"' in active
    assert "<title>2026-03-13: 1 active users</title>" in active
    runs = re.search(r'<svg[^>]*data-testid="chart-runs".*?</svg>', html, re.S).group(0)
    assert runs.count('class="bar"') == 30
    assert 'data-day="2026-03-13" data-value="7"' in runs
    assert 'aria-current="page" class="current">Last 30 days' in html
    assert 'href="/admin/activity?period=12m"' in html
    # The charts need no JavaScript: the body has no script (the head loads the console's
    # static script, for confirmations and copy buttons).
    assert "<script" not in html.split("</head>", 1)[1]

    longer = admin_client.get("/admin/activity?period=12m").get_data(as_text=True)
    assert "Runs created per week" in longer and "weekly average" in longer


def test_names_from_users_are_escaped_in_the_charts(app, admin_client):
    app.config["OUTPOST_CLOCK"] = lambda: NOW
    ada = make_user("ada", display_name='"><img src=x onerror=alert(1)>', password=None)
    team = make_team("lab", display_name="<script>alert('team')</script>")
    _record("active", ada, 1)
    _record("run_created", ada, 1, team=team)
    db.session.commit()
    html = admin_client.get("/admin/activity").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;team&#39;)&lt;/script&gt; (lab): 1 runs" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt; (@ada): 1 active days" in html


def test_a_bad_period_is_a_clear_error_page(admin_client):
    response = admin_client.get("/admin/activity?period=forever")
    assert response.status_code == 422
    assert "Unknown period" in response.get_data(as_text=True)


def test_members_and_visitors_are_kept_out(client):
    make_user("member")
    for path in ("/admin/activity", "/admin/audit-log", "/admin/audit-log/export"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, "member")
    for path in ("/admin/activity", "/admin/audit-log", "/admin/audit-log/export?format=csv"):
        response = client.get(path)
        assert response.status_code == 403
        assert "Only system admins" in response.get_data(as_text=True)


def _seed_events(n, *, action="team:update", start=NOW):
    for i in range(n):
        db.session.add(
            AuditEvent(
                created_at=start - timedelta(minutes=i),
                action=action,
                actor_name="root",
                target_name=f"<b>t{i}</b>",
                details={"note": "<script>alert(1)</script>"},
            )
        )
    db.session.commit()


def test_the_audit_log_page_filters_and_pages(admin_client):
    _seed_events(60)
    _seed_events(3, action="license:install", start=NOW - timedelta(days=30))
    page = admin_client.get("/admin/audit-log?action=team:").get_data(as_text=True)
    assert page.count("<code>team:update</code>") == 50
    assert "&lt;b&gt;t0&lt;/b&gt;" in page and "<b>t0</b>" not in page
    assert "<script>" not in page and "\\u003cscript\\u003e" in page  # details, escaped
    older = re.search(r'href="([^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    assert "action=team:" in older and "cursor=" in older
    rest = admin_client.get(older).get_data(as_text=True)
    assert rest.count("<code>team:update</code>") == 10
    assert 'rel="next"' not in rest

    dated = admin_client.get("/admin/audit-log?from=2026-02-01&to=2026-02-20")
    assert dated.get_data(as_text=True).count("<code>license:install</code>") == 3


def test_a_bad_filter_is_shown_on_the_page(admin_client):
    response = admin_client.get("/admin/audit-log?from=31/01/2026&actor=ada")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "must be an ISO date" in html
    assert 'name="actor" value="ada"' in html  # the form keeps what was typed


def test_the_console_downloads_the_filtered_log(admin_client):
    _seed_events(4)
    response = admin_client.get("/admin/audit-log/export?format=csv&action=team:update")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["target_name"] for r in rows] == ["<b>t0</b>", "<b>t1</b>", "<b>t2</b>", "<b>t3</b>"]


def test_the_action_filter_lists_the_known_actions(admin_client):
    _seed_events(2)
    _seed_events(1, action="license:install")
    page = admin_client.get("/admin/audit-log?action=team:").get_data(as_text=True)
    select = page.split('data-testid="audit-action">', 1)[1].split("</select>", 1)[0]
    assert '<option value="license:install">license:install</option>' in select
    assert '<option value="team:update">team:update</option>' in select
    assert '<option value="team:" selected>team:*</option>' in select
    assert '<input type="text" name="action"' not in page
