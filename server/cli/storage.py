"""``outpost storage``: provision and check team buckets on the instance storage.

The Helm chart's job and the Ansible role call exactly this command, so buckets are made by
the same code as when a team is created in the console.
"""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group()
def storage() -> None:
    """Instance storage and team buckets."""


@storage.command("provision")
@click.option("--team", "teams", multiple=True, help="Team name (repeatable).")
@click.option(
    "--teams-file",
    type=click.Path(dir_okay=False),
    help="YAML or JSON: {teams: [{name, storage}]}.",
)
@click.option("--check", is_flag=True, help="Only report what would change.")
@click.option(
    "--wait",
    type=float,
    default=0,
    show_default=True,
    help="Wait up to this many seconds for storage to be ready.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
@with_appcontext
def provision(teams, teams_file, check, wait, as_json) -> None:
    """Create (or check) one bucket per team: versioning, CORS and team labels, idempotently.

    Exits 1 when any team failed, 2 for bad input or unreachable storage.
    """
    from ..services.team_storage import instance_provider
    from ..storage import StorageError, load_teams_file, provision_team_buckets, wait_until_ready

    settings = current_app.config["OUTPOST"]
    try:
        specs = list(load_teams_file(teams_file)) if teams_file else []
        specs += list(teams)
        if not specs:
            raise click.UsageError("Name at least one --team or a --teams-file.")
        provider = instance_provider()
        if wait:
            wait_until_ready(provider, wait)
        report = provision_team_buckets(
            provider,
            settings.storage_bucket_prefix,
            specs,
            check=check,
            cors_origins=[settings.url.rstrip("/")],
        )
    except StorageError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for result in report.to_dict()["teams"]:
            changes = "; ".join(result.get("changes") or []) or "nothing to change"
            line = f"{result['team']}: bucket {result['bucket']} {result['status']}"
            click.echo(f"{line} ({changes})")
    if report.failed:
        sys.exit(1)
