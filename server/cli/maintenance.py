"""``outpost maintenance``: periodic jobs an operator runs from cron (or a Kubernetes CronJob).

- ``prune``: delete audit events and activity rollups older than the retention settings
  (``audit_retention_days``, ``activity_retention_days``), in bounded batches.
- ``refresh-usage``: measure each team's bucket for the activity dashboard.
- ``rebuild-activity``: recompute the activity summaries from the daily rollups.
- ``purge-teams``: purge deleted teams whose retention period is over.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta

import click
from flask.cli import with_appcontext


@click.group()
def maintenance() -> None:
    """Retention and housekeeping jobs."""


@maintenance.command("prune")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100_000),
    default=5000,
    show_default=True,
    help="Audit events deleted per transaction (activity rollups go one day at a time).",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
@with_appcontext
def prune(batch_size: int, dry_run: bool) -> None:
    """Delete audit events and activity data older than the retention settings."""
    from .. import clock
    from ..services import activity, audit, audit_log
    from ..services.system_settings import get_setting

    now = clock.now()
    audit_days = get_setting("audit_retention_days")
    activity_days = get_setting("activity_retention_days")
    audit_cutoff = now - timedelta(days=audit_days)
    activity_cutoff = activity.utc_day(now) - timedelta(days=activity_days)
    if dry_run:
        events = audit_log.count_prunable_audit_events(audit_cutoff)
        rollups = activity.count_prunable(activity_cutoff)
    else:
        events = audit_log.prune_audit_events(audit_cutoff, batch_size=batch_size)
        rollups = activity.prune_activity(activity_cutoff)
        audit.record_now(
            "audit_log:prune",
            target_type="audit_log",
            details={
                "audit_events": events,
                "activity_rows": rollups,
                "audit_before": audit_cutoff.isoformat(),
                "activity_before": activity_cutoff.isoformat(),
            },
        )
    verb = "Would delete" if dry_run else "Deleted"
    click.echo(
        f"{verb} {events} audit events before {audit_cutoff:%Y-%m-%d %H:%M} UTC "
        f"(audit_retention_days={audit_days})."
    )
    click.echo(
        f"{verb} {rollups} activity rows before {activity_cutoff.isoformat()} "
        f"(activity_retention_days={activity_days})."
    )


@maintenance.command("refresh-usage")
@click.option("--team", "teams", multiple=True, help="Only this team (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@with_appcontext
def refresh_usage(teams, as_json: bool) -> None:
    """Measure the bytes in every team's bucket for the activity dashboard.

    Exits 1 when a measurement failed or a named team does not exist.
    """
    from ..services.storage_usage import refresh_usage as measure

    report = measure(list(teams) or None)
    if as_json:
        click.echo(json.dumps({"teams": report}, indent=2))
    else:
        for entry in report:
            detail = entry.get("used_bytes", entry.get("reason", ""))
            click.echo(f"{entry['team']}: {entry['status']}" + (f" ({detail})" if detail else ""))
    if any(entry["status"] in ("failed", "not_found") for entry in report):
        sys.exit(1)


@maintenance.command("rebuild-activity")
@with_appcontext
def rebuild_activity() -> None:
    """Recompute the monthly rollups and daily totals from the daily activity rows."""
    from ..services.activity import rebuild_summaries

    rebuild_summaries()
    click.echo("Activity summaries rebuilt from the daily rollups.")


@maintenance.command("purge-teams")
@click.option("--dry-run", is_flag=True, help="Only list the teams that would be purged.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@with_appcontext
def purge_teams(dry_run: bool, as_json: bool) -> None:
    """Purge deleted teams whose retention period is over.

    Each team's internal bucket is emptied (every object version) and removed, then the team
    and its data are deleted. A team's own bucket (secure storage connector) is never touched.
    A team whose storage cannot be purged is kept and tried again on the next run; the command
    then exits 1.
    """
    from ..services import teams

    if dry_run:
        due = [team.slug for team in teams.due_for_purge()]
        _print({"due": due}, as_json, [f"would purge team {slug}" for slug in due])
        return
    report = teams.purge_teams()
    lines = [f"purged team {slug}" for slug in report.purged]
    _print({"purged": report.purged, "failed": report.failed}, as_json, lines)
    for slug, reason in report.failed.items():
        click.echo(f"Error: team {slug} was kept for the next run: {reason}", err=True)
    if report.failed:
        sys.exit(1)


def _print(data: dict, as_json: bool, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for line in lines or ["no team is due for purging"]:
        click.echo(line)
