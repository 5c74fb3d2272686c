"""``outpost maintenance prune`` and ``refresh-usage``: retention of the audit log and the
activity rollups, and the cached storage per team the dashboard shows."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from server.cli import main
from server.extensions import db
from server.models import (
    ActivityDaily,
    ActivityDayTotal,
    ActivityMonthly,
    AuditEvent,
    TeamStorageUsage,
)
from server.services import activity, system_settings
from server.services import teams as team_service
from server.services.team_storage import instance_provider
from tests.factories import bearer, make_key, make_team, make_user


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _seed_old_and_new(now):
    user = make_user("ada", password=None)
    system_settings.update_settings({"audit_retention_days": 30, "activity_retention_days": 30})
    db.session.query(AuditEvent).delete()
    for age in (45, 40, 35, 31, 31):
        db.session.add(AuditEvent(created_at=now - timedelta(days=age), action="team:update"))
    for age in (29, 1):
        db.session.add(AuditEvent(created_at=now - timedelta(days=age), action="team:update"))
    for age in (70, 40, 31, 29, 0):
        activity.record_activity("active", user_id=user.id, at=now - timedelta(days=age))
    db.session.commit()
    return user


def test_prune_deletes_what_is_older_than_the_retention_settings(runner):
    now = datetime.now(UTC)
    _seed_old_and_new(now)
    dry = runner.invoke(main, ["maintenance", "prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would delete 5 audit events" in dry.output
    assert "(audit_retention_days=30)" in dry.output
    assert _count(AuditEvent) == 7

    result = runner.invoke(main, ["maintenance", "prune", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Deleted 5 audit events" in result.output
    cutoff = activity.utc_day(now) - timedelta(days=30)
    assert _count(AuditEvent, AuditEvent.action == "team:update") == 2
    assert _count(ActivityDaily) == 2 and _count(ActivityDaily, ActivityDaily.day < cutoff) == 0
    assert _count(ActivityDayTotal, ActivityDayTotal.day < cutoff) == 0
    # A month is dropped only once all of it is past the retention period.
    assert _count(ActivityMonthly, ActivityMonthly.month < cutoff.replace(day=1)) == 0
    assert _count(ActivityMonthly) >= 1
    record = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit_log:prune")
    ).one()
    assert record.actor_name == "cli"
    assert record.details["audit_events"] == 5
    assert record.details["activity_rows"] > 0


def test_prune_twice_deletes_nothing_more(runner):
    _seed_old_and_new(datetime.now(UTC))
    runner.invoke(main, ["maintenance", "prune"])
    again = runner.invoke(main, ["maintenance", "prune"])
    assert again.exit_code == 0
    assert "Deleted 0 audit events" in again.output
    assert "Deleted 0 activity rows" in again.output


def test_refresh_usage_measures_internal_buckets_and_the_dashboard_shows_it(runner, client):
    admin = make_user("root", system_admin=True, password=None)
    lab = team_service.create_team(admin, "lab", "Lab")
    instance_provider().put_bytes(lab.bucket, "runs/a.bin", b"x" * 1500)
    instance_provider().put_bytes(lab.bucket, "runs/b.bin", b"y" * 500)
    make_team("byob-team", storage_kind="byob", bucket="customer-bucket")
    make_team("broken", storage_kind="internal", bucket="outpost-missing-bucket")

    result = runner.invoke(main, ["maintenance", "refresh-usage"])
    assert result.exit_code == 1, result.output  # one bucket could not be measured
    assert "lab: measured (2000)" in result.output
    assert "byob-team: skipped (own bucket)" in result.output
    assert "broken: failed" in result.output

    body = client.get("/api/v1/system/activity", headers=bearer(make_key(admin))).json
    storage = body["storage"]
    assert storage["total_bytes"] == 2000
    assert (storage["teams_total"], storage["teams_measured"]) == (3, 1)
    largest = storage["largest_teams"][0]
    assert (largest["team"], largest["used_bytes"], largest["error"]) == ("lab", 2000, None)
    assert largest["measured_at"] is not None
    broken = next(t for t in storage["largest_teams"] if t["team"] == "broken")
    assert broken["used_bytes"] is None and broken["error"]

    instance_provider().put_bytes(lab.bucket, "runs/c.bin", b"z" * 1000)
    only = runner.invoke(main, ["maintenance", "refresh-usage", "--team", "lab"])
    assert only.exit_code == 0, only.output
    db.session.expire_all()
    assert db.session.get(TeamStorageUsage, lab.id).used_bytes == 3000
    missing = runner.invoke(main, ["maintenance", "refresh-usage", "--team", "nope"])
    assert missing.exit_code == 1 and "nope: not_found" in missing.output
