"""``outpost users``: create and manage users from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..errors import OutpostError


@click.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.argument("username")
@click.option("--email", required=True, help="The user's e-mail address.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--system-admin", is_flag=True, help="Make the user a system admin.")
@with_appcontext
def create(username: str, email: str, password_stdin: bool, system_admin: bool) -> None:
    """Create an active user. Without --password-stdin, you are prompted for the password."""
    from ..services import users as service
    from .serve import upgrade_embedded_database

    # The first admin may be made before the server ever started: like ``serve``, bring the
    # embedded database to the current schema first (PostgreSQL: ``outpost db upgrade``).
    upgrade_embedded_database()

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = service.create_user(username, email, password, system_admin=system_admin)
    except OutpostError as exc:
        raise click.ClickException(exc.message) from None
    role = "system admin" if user.system_admin else "user"
    click.echo(f"Created {role} {user.username} <{user.email}>.")


@users.command("deactivate")
@click.argument("username")
@with_appcontext
def deactivate(username: str) -> None:
    """Deactivate a user: their sessions end and their API keys stop working at once."""
    from ..services import users as service

    try:
        service.deactivate(service.get_by_username(username))
    except OutpostError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Deactivated {username}.")


@users.command("break-glass")
@click.argument("username")
@click.option("--off", is_flag=True, help="Remove the mark instead.")
@with_appcontext
def break_glass(username: str, off: bool) -> None:
    """Mark a system admin as a break-glass account: they may still sign in with a password
    when SSO-only mode is on, so an identity-provider outage never locks the operator out."""
    from ..services import users as service

    try:
        service.set_break_glass(service.get_by_username(username), not off)
    except OutpostError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{username} is {'no longer ' if off else ''}a break-glass account.")


@users.command("show")
@click.argument("username")
@click.option("--json", "as_json", is_flag=True, help="Print the user as JSON.")
@with_appcontext
def show(username: str, as_json: bool) -> None:
    """Show a user. Exits 1 when there is no such user, so deploy recipes can test for one
    (for example the first admin) without changing anything."""
    import json

    from ..services import users as service

    try:
        user = service.get_by_username(username)
    except OutpostError as exc:
        raise click.ClickException(exc.message) from None
    data = {
        "username": user.username,
        "email": user.email,
        "state": user.state,
        "system_admin": bool(user.system_admin),
    }
    if as_json:
        click.echo(json.dumps(data))
    else:
        role = "system admin" if user.system_admin else "user"
        click.echo(f"{user.username} <{user.email}>: {role}, {user.state}")
