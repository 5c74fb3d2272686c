"""Admin › SCIM: the base URL identity providers provision through, and the SCIM tokens
(create, with the full token shown once; revoke)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth import requires
from ..errors import OutpostError
from ..extensions import db
from ..services import scim_tokens as service
from . import bp
from .forms import ApiKeyForm, ConfirmForm

MAX_LISTED = 200


def _render(form: ApiKeyForm, new_token: str | None = None, status: int = 200):
    tokens = db.session.scalars(service.list_tokens_query().limit(MAX_LISTED)).all()
    return render_template(
        "admin/scim.html",
        admin_section="scim",
        tokens=tokens,
        form=form,
        confirm=ConfirmForm(formdata=None),
        new_token=new_token,
        base_url=current_app.config["OUTPOST"].url.rstrip("/") + "/scim/v2",
    ), status


@bp.get("/admin/scim")
@requires("system:scim")
def admin_scim():
    return _render(ApiKeyForm(formdata=None))


@bp.post("/admin/scim/tokens")
@requires("system:scim")
def create_scim_token():
    form = ApiKeyForm()
    if not form.validate_on_submit():
        flash("Give the token a name.", "error")
        return _render(form, status=422)
    try:
        _, new_token = service.create_token(form.name.data, created_by=current_user)
    except OutpostError as error:
        flash(error.message, "error")
        return _render(form, status=error.status)
    return _render(ApiKeyForm(formdata=None), new_token=new_token)


@bp.post("/admin/scim/tokens/<name>/revoke")
@requires("system:scim")
def revoke_scim_token(name: str):
    if ConfirmForm().validate_on_submit():
        try:
            service.revoke_token(name)
            flash(f"SCIM token {name} revoked. It stops working at once.", "success")
        except OutpostError as error:
            flash(error.message, "error")
    return redirect(url_for("console.admin_scim"))
