"""The web console: server-rendered pages with CSRF-protected forms, one module per noun."""

from flask import Blueprint, Flask

bp = Blueprint("console", __name__)


def init_app(app: Flask) -> None:
    from . import api_keys, auth, home  # noqa: F401  (register routes)

    app.register_blueprint(bp)
