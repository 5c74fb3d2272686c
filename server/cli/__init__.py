"""The ``outpost`` command: serving, migrations and operator bootstrap without a browser."""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from ..config import ConfigError


def _create_app():
    from .. import create_app

    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
)
def main() -> None:
    """Outpost: a self-managed team server for machine-learning teams."""


def _register() -> None:
    from . import api_keys, maintenance, scim_tokens, serve, storage, users

    main.add_command(serve.serve)
    main.add_command(users.users)
    main.add_command(api_keys.api_keys)
    main.add_command(scim_tokens.scim_tokens)
    main.add_command(storage.storage)
    main.add_command(maintenance.maintenance)


_register()
