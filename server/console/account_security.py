"""My sign-in security: change my password, sign out my other sessions (Settings › Security).

A password change ends every session of mine and signs this browser in again; "sign out
everywhere else" ends every other console session at once (services/console_sessions.py).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_user

from .. import ratelimit
from ..auth import requires
from ..errors import OutpostError
from ..extensions import db
from ..models import User
from ..services import console_sessions
from ..services import users as user_service
from ..sessions import session_token
from . import bp
from .forms import ConfirmForm, PasswordChangeForm


def _render(form: PasswordChangeForm | None = None, status: int = 200):
    return render_template(
        "settings/security.html",
        section="security",
        form=form or PasswordChangeForm(formdata=None),
        confirm=ConfirmForm(),
    ), status


@bp.get("/settings/security")
@requires("viewer:read")
def account_security():
    return _render()


@bp.post("/settings/security/password")
@requires("viewer:edit_profile")
def change_password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _render(form, 422)
    # Guessing the current password from a stolen session is limited like signing in.
    ratelimit.check(
        "password_change", current_app.config["OUTPOST"].login_rate_limit, str(current_user.id)
    )
    user = db.session.get(User, current_user.id)
    try:
        user_service.change_password(user, form.current.data, form.password.data)
    except OutpostError as error:
        flash(error.message, "error")
        return _render(form, error.status)
    login_user(user)  # the old session ended with the others; this browser stays signed in
    flash("Password changed. Every other session of yours has been signed out.", "success")
    return redirect(url_for("console.account_security"))


@bp.post("/settings/security/sign-out-others")
@requires("viewer:edit_profile")
def sign_out_other_sessions():
    if ConfirmForm().validate_on_submit():
        user = db.session.get(User, current_user.id)
        ended = console_sessions.end_all(user, keep_token=session_token())
        flash(f"Signed out of {ended} other session(s).", "success")
    return redirect(url_for("console.account_security"))
