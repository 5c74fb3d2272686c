"""The signed-in landing page, and the site icon browsers ask for."""

from flask import current_app, render_template
from flask_login import current_user

from ..auth import public, requires
from . import bp


@bp.get("/")
@requires("viewer:read")
def home():
    return render_template("console/home.html", user=current_user)


@bp.get("/favicon.ico")
@public
def favicon():
    """Browsers fetch /favicon.ico on every site; answer with the console's icon, not a 404."""
    response = current_app.send_static_file("favicon.ico")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
