"""``outpost api-keys``: make an API key for a user (deploy recipes, automation)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..errors import OutpostError


@click.group("api-keys")
def api_keys() -> None:
    """Manage API keys."""


@api_keys.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the key is for.")
@with_appcontext
def create(username: str, name: str) -> None:
    """Create an API key for USERNAME. The key is printed once, alone on the last line."""
    from ..services import api_keys as key_service
    from ..services import users as user_service

    try:
        key, full_key = key_service.create_key(
            user_service.get_by_username(username), name, by_operator=True
        )
    except OutpostError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created API key {key.key_id} ({name}) for {username}. Store it now:", err=True)
    click.echo(full_key)
