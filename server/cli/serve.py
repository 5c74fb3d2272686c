"""``outpost serve``: prepare the instance and run it under gunicorn."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..config import WORKER_CLASSES


def _no_control_socket() -> list[str]:
    """Newer gunicorn opens a control socket under $HOME, which fails (and logs an error) on a
    read-only root filesystem; Outpost does not use it."""
    from gunicorn.config import KNOWN_SETTINGS

    return (
        ["--no-control-socket"]
        if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS)
        else []
    )


def upgrade_embedded_database() -> None:
    """On the embedded SQLite default, bring the database to the current schema."""
    from flask_migrate import upgrade

    if current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        os.makedirs(current_app.config["OUTPOST_DATA_DIR"], exist_ok=True)
        upgrade()


def _listening_url(bind: str) -> str:
    """``http://HOST:PORT`` for ``--bind``; a wildcard host is reached on 127.0.0.1."""
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


def _first_admin(base: str) -> None:
    from ..services import setup

    settings = current_app.config["OUTPOST"]
    if settings.admin_email and settings.admin_password:
        user = setup.bootstrap_admin(
            settings.admin_email, settings.admin_password, settings.admin_username
        )
        if user is not None:
            click.echo(f"Created the first system admin {user.username!r} from the environment.")
        return
    token = setup.issue_setup_token()
    if token:
        click.echo("")
        click.echo("No users yet. Open this one-time link to create the first system admin:")
        click.echo(f"    {base}/setup/{token}")
        click.echo("")


def _concurrency(worker_class: str | None, threads: int | None) -> list[str]:
    """gunicorn's worker class and threads: from the options, else the settings. Threads keep
    slow uploads and downloads on the embedded storage from holding every worker."""
    settings = current_app.config["OUTPOST"]
    worker_class = worker_class or settings.server_worker_class
    threads = threads or settings.server_threads
    args = ["--worker-class", worker_class]
    if worker_class == "gthread":
        args += ["--threads", str(threads)]
    return args


@click.command()
@click.option("--bind", default="127.0.0.1:8080", show_default=True, help="HOST:PORT to listen on.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--worker-class",
    type=click.Choice(WORKER_CLASSES),
    help="gunicorn worker class [default: OUTPOST_SERVER_WORKER_CLASS, gthread].",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    help="Threads per gthread worker [default: OUTPOST_SERVER_THREADS, 16].",
)
@click.option("--no-migrate", is_flag=True, help="Do not upgrade the embedded database.")
@with_appcontext
def serve(
    bind: str, workers: int, worker_class: str | None, threads: int | None, no_migrate: bool
) -> None:
    """Start Outpost under gunicorn (upgrading the embedded SQLite database first)."""
    if not no_migrate:
        upgrade_embedded_database()
    base = current_app.config["OUTPOST"].url.rstrip("/")
    if current_app.config["OUTPOST"].sources["url"] == "default" and not bind.startswith("unix:"):
        # Until an operator sets OUTPOST_URL, links and the filesystem storage's pre-signed URLs
        # point at where we listen (the workers read it from the environment).
        base = os.environ["OUTPOST_URL"] = _listening_url(bind)
    _first_admin(base)
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        *_concurrency(worker_class, threads),
        "--bind",
        bind,
        "--access-logfile",
        "-",
        "--logger-class",
        "server.gunicorn_logging.OutpostLogger",
        "--forwarded-allow-ips",
        os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        *_no_control_socket(),
        "server.wsgi:app",
    ]
    click.echo(f"Outpost listening on http://{bind}")
    sys.stdout.flush()
    os.execv(sys.executable, args)
