"""``outpost scim-tokens``: the tokens identity providers provision users and teams with."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..errors import OutpostError


@click.group("scim-tokens")
def scim_tokens() -> None:
    """Create, list and revoke SCIM tokens."""


@scim_tokens.command("create")
@click.argument("name")
@with_appcontext
def create(name: str) -> None:
    """Create a SCIM token named NAME. The token is printed once, alone on the last line."""
    from ..services import scim_tokens as service

    try:
        token, full_token = service.create_token(name)
    except OutpostError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created SCIM token {token.name!r} ({token.token_id}). Store it now:", err=True)
    click.echo(full_token)


@scim_tokens.command("list")
@with_appcontext
def list_tokens() -> None:
    """List SCIM tokens: name, token id, created, last used."""
    from ..extensions import db
    from ..services import scim_tokens as service

    for token in db.session.scalars(service.list_tokens_query()):
        used = token.last_used_at.isoformat() if token.last_used_at else "never"
        click.echo(f"{token.name}\t{token.token_id}\t{token.created_at.isoformat()}\t{used}")


@scim_tokens.command("revoke")
@click.argument("name")
@with_appcontext
def revoke(name: str) -> None:
    """Revoke the SCIM token named NAME: it stops working at once."""
    from ..services import scim_tokens as service

    try:
        service.revoke_token(name)
    except OutpostError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Revoked SCIM token {name!r}.")
