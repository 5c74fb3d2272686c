"""``/invitations/<token>``: the link a team admin sends to an e-mail address.

Signed in with that e-mail, the visitor joins the team with one click; with no account yet,
they choose a username and password here and join; with an account but signed out, they are
sent to sign in first. With single sign-on set up, a signed-out visitor may instead sign in at
the identity provider and join in the same step (the provider's verified e-mail must be the
invited one).
"""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user
from sqlalchemy import select

from .. import ratelimit
from ..auth import public
from ..errors import OutpostError
from ..extensions import db
from ..models import Team, User
from ..services import invitations as service
from ..services import oidc
from ..services.memberships import role_name
from . import bp
from .account_fields import check_account_form
from .forms import AcceptInviteForm, ConfirmForm


def _page(invitation, team, form, mode: str, status: int = 200):
    sso_label = oidc.button_label()  # with SSO set up, the invitee may join by signing in there
    return render_template(
        "console/team_invitation.html",
        invitation=invitation,
        team=team,
        form=form,
        mode=mode,
        login_url=url_for("console.login", next=request.path),
        sso_label=sso_label,
        passwords=service.password_accounts_allowed(),
        sso_url=url_for("console.oidc_login", invitation=request.view_args["token"])
        if sso_label
        else None,
    ), status


def _joined(membership):
    flash(f"You joined {membership.team.slug} as {role_name(membership)}.", "success")
    return redirect(url_for("console.home"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def team_invitation(token: str):
    invitation = service.load_invitation(token)
    team = db.session.get(Team, invitation.team_id)
    if current_user.is_authenticated:
        form = ConfirmForm()
        if form.validate_on_submit():
            try:
                return _joined(service.accept(token, current_user))
            except OutpostError as error:
                db.session.rollback()
                flash(error.message, "error")
                return _page(invitation, team, form, "accept", error.status)
        return _page(invitation, team, form, "accept")
    if db.session.scalar(select(User.id).where(User.email == invitation.email)) is not None:
        return _page(invitation, team, None, "sign_in")
    form = AcceptInviteForm()
    if request.method == "POST":
        ratelimit.check("invite", current_app.config["OUTPOST"].login_rate_limit)
    if check_account_form(form, email=invitation.email):
        try:
            membership = service.join_as_new_user(
                token,
                username=form.username.data,
                display_name=form.display_name.data,
                password=form.password.data,
            )
        except OutpostError as error:
            db.session.rollback()
            flash(error.message, "error")
            return _page(invitation, team, form, "create", error.status)
        session.permanent = True
        login_user(membership.user)
        return _joined(membership)
    return _page(invitation, team, form, "create", 422 if form.errors else 200)
