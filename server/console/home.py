"""The signed-in landing page."""

from flask import render_template
from flask_login import current_user

from ..auth import requires
from . import bp


@bp.get("/")
@requires("viewer:read")
def home():
    return render_template("console/home.html", user=current_user)
