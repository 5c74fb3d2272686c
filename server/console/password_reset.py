"""Forgot password (sign-in page), the reset link's page, and a system admin's "Send a
password-reset link" on a person's page."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import ratelimit
from ..auth import public, requires
from ..errors import OutpostError
from ..services import mail
from ..services import password_reset as service
from ..services import users as user_service
from . import bp, reveal
from .forms import ConfirmForm


class ForgotPasswordForm(FlaskForm):
    login = StringField("Username or e-mail", validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("password", "The passwords differ.")],
    )


@bp.route("/forgot-password", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    if request.method == "POST":
        ratelimit.check("login", current_app.config["OUTPOST"].login_rate_limit)
    if form.validate_on_submit():
        service.request_reset(form.login.data)
        flash(
            "If an account matches, an e-mail with a link to choose a new password is on its "
            f"way. The link works once, for {service.RESET_LINK_HOURS} hours.",
            "success",
        )
        return redirect(url_for("console.login"))
    return render_template("console/forgot_password.html", form=form, smtp=mail.is_configured()), (
        422 if form.errors else 200
    )


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    user = service.user_for_token(token)
    form = NewPasswordForm()
    if request.method == "POST":
        ratelimit.check("login", current_app.config["OUTPOST"].login_rate_limit)
    if form.validate_on_submit():
        try:
            service.reset_password(token, form.password.data)
        except OutpostError as error:
            form.password.errors = [error.message]
            return render_template("console/reset_password.html", form=form, user=user), 422
        flash(
            "Your password was changed and every other session ended. Sign in with it.", "success"
        )
        return redirect(url_for("console.login"))
    return render_template("console/reset_password.html", form=form, user=user), (
        422 if form.errors else 200
    )


@bp.post("/admin/users/<username>/password-reset")
@requires("system:users")
def send_password_reset(username: str):
    if ConfirmForm().validate_on_submit():
        result = service.admin_reset_link(user_service.get_person(username))
        if result.email_sent:
            flash(f"A password-reset link was e-mailed to {username}.", "success")
        else:
            reveal.stash(f"reset_link:{username}", link=result.link, why=result.email_error)
    return redirect(url_for("console.admin_user_detail", username=username))
