"""Admin › Sign-in: the single sign-on settings (the same system settings as Admin › Settings,
environment values read-only) and a "Test" that fetches the provider's discovery document."""

from flask import flash, redirect, url_for

from ..auth import requires
from ..errors import OutpostError
from ..services import oidc, sso_groups
from ..services import system_settings as service
from . import bp
from .admin_forms import settings_form
from .admin_settings import render_settings
from .forms import ConfirmForm, GroupRuleForm


@bp.get("/admin/sign-in")
@requires("system:settings")
def admin_sign_in():
    described = service.describe_settings()
    return render_settings(
        settings_form(described),
        described,
        only="sso",
        extra={"group_rules": sso_groups.list_rules(), "rule_form": GroupRuleForm(formdata=None)},
    )


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


@bp.post("/admin/sign-in/group-rules")
@requires("system:settings")
def add_sso_group_rule():
    form = GroupRuleForm()
    if not form.validate_on_submit():
        flash("Fill in the claim, its value, the team and the role.", "error")
    else:
        try:
            sso_groups.add_rule(form.claim.data, form.value.data, form.team.data, form.role.data)
        except OutpostError as error:
            flash(error.message, "error")
        else:
            flash(f"Rule added: {form.claim.data} = {form.value.data}.", "success")
    return redirect(url_for("console.admin_sign_in", _anchor="group-rules"))


@bp.post("/admin/sign-in/group-rules/<int:rule_id>/delete")
@requires("system:settings")
def delete_sso_group_rule(rule_id: int):
    if ConfirmForm().validate_on_submit():
        sso_groups.delete_rule(rule_id)
        flash("Rule deleted. Memberships it granted go at each person's next sign-in.", "success")
    return redirect(url_for("console.admin_sign_in", _anchor="group-rules"))
