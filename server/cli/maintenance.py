"""``outpost maintenance``: periodic jobs an operator runs from cron or a Kubernetes CronJob."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import with_appcontext


@click.group()
def maintenance() -> None:
    """Periodic maintenance jobs."""


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
