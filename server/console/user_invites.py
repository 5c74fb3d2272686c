"""``/invite/<token>``: an invited user chooses a username and password and is signed in."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_user

from .. import ratelimit
from ..auth import public
from ..errors import OutpostError
from ..services import user_invites as service
from . import bp
from .account_fields import check_account_form
from .forms import AcceptInviteForm


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept_invite(token: str):
    _, user = service.load_invite(token)
    form = AcceptInviteForm(data={"username": user.username})
    if request.method == "POST":
        ratelimit.check("invite", current_app.config["OUTPOST"].login_rate_limit)
    if check_account_form(form, email=user.email, exclude_user_id=user.id):
        try:
            user = service.accept_invite(
                token,
                username=form.username.data,
                display_name=form.display_name.data,
                password=form.password.data,
            )
        except OutpostError as error:
            flash(error.message, "error")
            return render_template("console/invite.html", form=form, email=user.email), error.status
        session.permanent = True
        login_user(user)
        flash(f"Welcome, {user.display_name}. Your account is ready.", "success")
        return redirect(url_for("console.home"))
    status = 422 if form.errors else 200
    return render_template("console/invite.html", form=form, email=user.email), status
