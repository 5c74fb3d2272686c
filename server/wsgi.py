"""WSGI entry point for gunicorn: ``gunicorn server.wsgi:app``."""

from . import create_app

app = create_app()
