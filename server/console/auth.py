"""Sign in, sign out, and the one-time setup page that creates the first system admin."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from .. import ratelimit
from ..auth import public
from ..errors import OutpostError
from ..redirects import safe_next
from ..services import setup as setup_service
from ..services import users as user_service
from . import bp
from .account_fields import check_account_form
from .forms import ConfirmForm, LoginForm, SetupForm


def _login_limit() -> str:
    return current_app.config["OUTPOST"].login_rate_limit


def start_session(user) -> None:
    """Sign ``user`` in to the console (password and single sign-on alike)."""
    session.permanent = True
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "POST":
        ratelimit.check("login", _login_limit())
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = user_service.authenticate(form.login.data, form.password.data)
        except OutpostError as error:
            flash(error.message, "error")
            return render_template("console/login.html", form=form), 401
        start_session(user)
        return redirect(safe_next(request.args.get("next"), url_for("console.home")))
    return render_template("console/login.html", form=form)


@bp.post("/logout")
@public
def logout():
    target = url_for("console.login")
    if ConfirmForm().validate_on_submit():
        from .sso import provider_sign_out_url

        target = provider_sign_out_url() or target  # also end a single sign-on session
        logout_user()
        session.clear()
    return redirect(target)


@bp.route("/setup/<token>", methods=["GET", "POST"])
@public
def setup(token: str):
    setup_service.check_setup_token(token)
    form = SetupForm()
    if check_account_form(form):
        try:
            user = setup_service.complete_setup(
                token, form.username.data, form.email.data, form.password.data
            )
        except OutpostError as error:
            flash(error.message, "error")
            return render_template("console/setup.html", form=form), error.status
        login_user(user)
        flash("Welcome to Outpost. You are the first system admin.", "success")
        return redirect(url_for("console.home"))
    return render_template("console/setup.html", form=form)
