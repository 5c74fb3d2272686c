"""Admin › Sign-in: the single sign-on settings (the same system settings as Admin › Settings,
environment values read-only) and a "Test" that fetches the provider's discovery document."""

from flask import flash, redirect, url_for

from ..auth import requires
from ..services import oidc
from ..services import system_settings as service
from . import bp
from .admin_forms import settings_form
from .admin_settings import render_settings
from .forms import ConfirmForm


@bp.get("/admin/sign-in")
@requires("system:settings")
def admin_sign_in():
    described = service.describe_settings()
    return render_settings(settings_form(described), described, only="sso")


@bp.post("/admin/sign-in/test")
@requires("system:settings")
def test_sign_in_provider():
    if not ConfirmForm().validate_on_submit():
        flash("The form was not accepted: reload the page and try again.", "error")
        return redirect(url_for("console.admin_sign_in"))
    problems, facts = oidc.check_provider()
    for problem in problems:
        flash(problem, "error")
    if not problems:
        flash("The identity provider looks right. " + " ".join(facts), "success")
    else:
        for fact in facts:
            flash(fact, "success")
    return redirect(url_for("console.admin_sign_in"))
