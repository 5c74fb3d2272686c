"""Single sign-on with OpenID Connect: ``/login/oidc`` starts it, ``/login/oidc/callback``
finishes it (both URLs are contracts: the provider's client registration names the callback)."""

from flask import flash, redirect, render_template, request, session, url_for

from ..auth import public
from ..redirects import safe_next
from ..services import invitations, oidc
from ..services import sso as sso_service
from ..services.oidc import SsoRefused
from . import bp
from .auth import start_session

_NEXT = "oidc_next"
_ID_TOKEN = "oidc_id_token"
_SIGNED_IN = "oidc_signed_in"
_INVITATION = "oidc_team_invitation"  # the token of the team invitation this sign-in accepts
# An ID token is kept for the provider's sign-out (id_token_hint) only when it leaves the
# session cookie well under browsers' 4 KB limit.
_MAX_ID_TOKEN = 2048


def _refused(error: SsoRefused):
    return render_template("console/sso_error.html", error=error), error.status


@bp.get("/login/oidc")
@public
def oidc_login():
    session[_NEXT] = safe_next(request.args.get("next"), url_for("console.home"))
    session.pop(_INVITATION, None)
    if request.args.get("invitation"):  # from a team invitation's page: join with the sign-in
        token = request.args["invitation"]
        invitations.load_invitation(token)  # a used or expired link ends here (404 page)
        session[_INVITATION] = token
    try:
        return oidc.start_sign_in()
    except SsoRefused as error:
        sso_service.refuse_attempt(error)
        return _refused(error)


@bp.get("/login/oidc/callback")
@public
def oidc_callback():
    invitation = session.pop(_INVITATION, None)
    joining = invitations.offer(invitation) if invitation else None  # read before it is used
    try:
        issuer, claims, id_token = oidc.finish_sign_in()
        user = sso_service.sign_in(
            oidc.current_settings(), issuer, claims, team_invitation=invitation
        )
    except SsoRefused as error:
        if error.status != 403:  # refusals about the account are recorded with their claims
            sso_service.refuse_attempt(error)
        return _refused(error)
    target = session.pop(_NEXT, None)
    start_session(user)
    session[_SIGNED_IN] = True
    if id_token and len(id_token) <= _MAX_ID_TOKEN:
        session[_ID_TOKEN] = id_token
    if joining:
        flash(f"You joined {joining[0]} as {joining[1]}.", "success")
    return redirect(safe_next(target, url_for("console.home")))


def provider_sign_out_url() -> str | None:
    """Where sign-out goes when this session came from the identity provider and the provider
    offers RP-initiated logout (``end_session_endpoint``); None otherwise."""
    if not session.get(_SIGNED_IN):
        return None
    return oidc.logout_url(session.get(_ID_TOKEN), oidc.public_url("console.login"))


@bp.app_context_processor
def sso_button():
    """The sign-in page asks for the SSO button text only when it renders it."""
    return {"sso_button_label": oidc.button_label, "sso_callback_url": oidc.callback_url}
