"""``/signup``: the public sign-up page, open only while ``signup_mode`` is ``open``."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_user

from .. import ratelimit
from ..auth import public
from ..errors import Forbidden, OutpostError
from ..services import users as service
from ..services.system_settings import get_setting
from . import bp
from .account_fields import check_account_form
from .forms import SignupForm


@bp.route("/signup", methods=["GET", "POST"])
@public
def signup():
    if get_setting("signup_mode") != "open":
        raise Forbidden(
            "Sign-up is by invitation only on this instance. Ask a system admin to invite you.",
            code="signup_closed",
        )
    form = SignupForm()
    if request.method == "POST":
        ratelimit.check("signup", current_app.config["OUTPOST"].login_rate_limit)
    if check_account_form(form):
        try:
            user = service.sign_up(
                form.username.data, form.email.data, form.password.data, form.display_name.data
            )
        except OutpostError as error:
            flash(error.message, "error")
            return render_template("console/signup.html", form=form), error.status
        session.permanent = True
        login_user(user)
        flash(f"Welcome, {user.display_name or user.username}. Your account is ready.", "success")
        return redirect(url_for("console.home"))
    return render_template("console/signup.html", form=form), 422 if form.errors else 200
