"""``/admin``: the admin home, what an operator checks first (health, license, seats, counts,
warnings to act on, latest audit events)."""

from __future__ import annotations

from flask import render_template

from ..auth import requires
from ..services.admin_home import admin_home
from . import bp


@bp.get("/admin")
@requires("system:settings")
def admin_home_page():
    return render_template("admin/home.html", admin_section="home", home=admin_home())
