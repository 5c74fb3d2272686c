"""``/invite/<token>``: an invited user chooses a username and password and is signed in."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_user

from .. import ratelimit
from ..auth import public
from ..errors import OutpostError
from ..services import oidc
from ..services import user_invites as service
from ..services.invitations import password_accounts_allowed
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
            return _page(form, user.email, error.status)
        session.permanent = True
        login_user(user)
        flash(f"Welcome, {user.display_name}. Your account is ready.", "success")
        return redirect(url_for("console.home"))
    return _page(form, user.email, 422 if form.errors else 200)


def _page(form, email: str, status: int):
    sso_label = oidc.button_label()  # with SSO set up, signing in there accepts the invitation
    return render_template(
        "console/invite.html",
        form=form,
        email=email,
        sso_label=sso_label,
        sso_url=url_for("console.oidc_login") if sso_label else None,
        passwords=password_accounts_allowed(),
    ), status
