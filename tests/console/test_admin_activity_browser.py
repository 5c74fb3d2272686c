"""The activity dashboard and the audit log in a real browser (headless Chromium)."""

import csv
import json
import os
import random
from datetime import UTC, datetime, timedelta

import pytest

from server.extensions import db
from server.models import ActivityDaily, AuditEvent, TeamStorageUsage
from server.services import activity, licensing
from tests.factories import PASSWORD, make_team, make_user
from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture
def seeded(app, issue_license):
    """Forty people active on a weekday rhythm over five months, runs in four teams, cached
    storage and a 50-seat license. Returns the expected daily active users."""
    app.config["OUTPOST_CLOCK"] = lambda: NOW
    licensing.install_license(issue_license(now=NOW - timedelta(days=1), seats=50))
    make_user("root", system_admin=True, display_name="Root")
    people = [make_user(f"user{n:02d}", password=None) for n in range(40)]
    teams = [make_team(slug, display_name=slug.title()) for slug in ("vision", "nlp", "rl", "ops")]
    rng = random.Random(5)
    expected, counts = {}, {}
    for days_ago in range(150):
        day = TODAY - timedelta(days=days_ago)
        share = 0.55 if day.weekday() < 5 else 0.15
        for n, person in enumerate(people):
            if rng.random() < share * (1 - n / 60):
                counts[("active", day, person.id, 0)] = 1
                expected[day] = expected.get(day, 0) + 1
                if rng.random() < 0.3:
                    team, runs = teams[n % len(teams)].id, rng.randint(1, 4)
                    for key in (
                        ("run_created", day, person.id, team),
                        ("run_created", day, 0, team),
                    ):
                        counts[key] = counts.get(key, 0) + runs
    rows = [
        ActivityDaily(kind=kind, day=day, user_id=user, team_id=team, count=count)
        for (kind, day, user, team), count in counts.items()
    ]
    # Loaded in bulk (as the benchmark does), then summarised like recording would have.
    db.session.add_all(rows)
    db.session.commit()
    activity.rebuild_summaries()
    for team, size in zip(teams, (48 << 30, 12 << 30, 3 << 30, 300 << 20), strict=True):
        db.session.add(
            TeamStorageUsage(team_id=team.id, used_bytes=size, measured_at=NOW - timedelta(hours=3))
        )
    db.session.commit()
    return expected


def test_the_dashboard_charts_show_the_seeded_activity(page, seeded):
    sign_in(page, "root", PASSWORD)
    page.goto("/admin/activity")
    chart = page.locator("svg[data-testid=chart-active-users]")
    assert chart.get_attribute("role") == "img"
    assert chart.locator("title").first.text_content() == "Daily active users"
    points = chart.locator("circle.point")
    assert points.count() == 30
    for days_ago in (0, 1, 7, 29):
        day = TODAY - timedelta(days=days_ago)
        point = chart.locator(f"circle.point[data-day='{day.isoformat()}']")
        assert point.get_attribute("data-value") == str(seeded.get(day, 0))
        label = f"{day.isoformat()}: {seeded.get(day, 0)} active users"
        assert point.locator("title").text_content() == label
    assert page.locator("svg[data-testid=chart-runs] rect.bar").count() == 30
    assert page.get_by_test_id("kpi-dau").inner_text().startswith(str(seeded[TODAY]))
    storage = page.locator("svg[data-testid=chart-storage] g.bar-row")
    assert storage.first.get_attribute("data-label") == "vision"
    assert "48.0 GiB" in storage.first.text_content()
    assert "3 hours ago" in page.get_by_test_id("storage-age").inner_text()
    seats = page.locator("svg[data-testid=chart-seats] rect.bar")
    assert (seats.get_attribute("data-used"), seats.get_attribute("data-limit")) == ("41", "50")
    assert page.locator("svg[data-testid=chart-top-users] g.bar-row").count() == 10
    shot = os.environ.get("OUTPOST_SCREENSHOT_DIR")
    if shot:  # look at the page by hand: OUTPOST_SCREENSHOT_DIR=/tmp pytest ...
        page.screenshot(path=os.path.join(shot, "activity-dashboard.png"), full_page=True)

    page.get_by_role("link", name="Last 3 months").click()
    page.wait_for_url("**period=3m")
    days = (TODAY - datetime(2025, 12, 16).date()).days + 1
    assert page.locator("svg[data-testid=chart-runs] rect.bar").count() == days == 90
    assert chart.locator("circle.point").count() == 90
    page.get_by_role("link", name="Last 6 months").click()
    page.wait_for_url("**period=6m")
    weeks = -(-((TODAY - datetime(2025, 9, 16).date()).days + 1) // 7)
    assert page.locator("svg[data-testid=chart-runs] rect.bar").count() == weeks == 26


def test_filter_and_export_the_audit_log(page, seeded, tmp_path):
    for n in range(5):
        db.session.add(
            AuditEvent(
                created_at=NOW - timedelta(hours=n),
                actor_name="root",
                action="team:update" if n % 2 == 0 else "user:deactivate",
                target_type="team",
                target_name=f"team-{n}",
            )
        )
    db.session.commit()
    sign_in(page, "root", PASSWORD)
    page.goto("/admin/audit-log")
    page.select_option("select[name=action]", "team:")
    page.fill("input[name=from]", "2026-03-15")
    page.fill("input[name=to]", "2026-03-15")
    page.click("button:has-text('Filter')")
    page.wait_for_url("**action=team*")
    rows = page.locator("[data-testid=audit-events] tbody tr")
    assert rows.count() == 3
    assert "team-0" in rows.first.inner_text()

    with page.expect_download() as download:
        page.get_by_test_id("export-ndjson").click()
    path = tmp_path / "log.ndjson"
    download.value.save_as(path)
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["target_name"] for e in events] == ["team-0", "team-2", "team-4"]

    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    path = tmp_path / "log.csv"
    download.value.save_as(path)
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["action"], r["target_name"]) for r in rows] == [
        ("team:update", "team-0"),
        ("team:update", "team-2"),
        ("team:update", "team-4"),
    ]


def test_a_member_is_refused_the_admin_pages(page, live_server):
    make_user("member")
    sign_in(page, "member", PASSWORD)
    for path in ("/admin/activity", "/admin/audit-log"):
        response = page.goto(path)
        assert response.status == 403
        assert "Only system admins" in page.content()
