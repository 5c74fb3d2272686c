"""Settings › Profile › Connect GitHub: the OAuth round trip and Disconnect."""

from flask import flash, redirect, url_for
from flask_login import current_user

from ..auth import requires
from ..extensions import db
from ..models import User
from ..services import github as service
from . import bp
from .forms import ConfirmForm


def _me() -> User:
    return db.session.get(User, current_user.id)


@bp.post("/settings/profile/github/connect")
@requires("viewer:edit_profile")
def github_connect():
    if not ConfirmForm().validate_on_submit():
        flash("The form was not accepted: reload the page and try again.", "error")
        return redirect(url_for("console.profile"))
    return service.start_connect()


@bp.get("/settings/profile/github/callback")
@requires("viewer:edit_profile")
def github_callback():
    # A refusal (denied, bad state, GitHub down) is an OutpostError: shown as a page saying why.
    connection = service.finish_connect(_me())
    flash(f"GitHub account {connection.github_login} connected.", "success")
    return redirect(url_for("console.profile"))


@bp.post("/settings/profile/github/disconnect")
@requires("viewer:edit_profile")
def github_disconnect():
    if ConfirmForm().validate_on_submit():
        service.disconnect(_me())
        flash("GitHub account disconnected.", "success")
    return redirect(url_for("console.profile"))


@bp.app_context_processor
def github_helpers():
    """Profile pages ask for a person's GitHub login only when they render it."""
    return {
        "github_available": service.is_configured,
        "github_connection_of": service.connection_of,
        "github_web_url": service.web_url,
    }
