"""The user's API keys page: create (full key shown once), table, delete."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth import requires
from ..errors import OutpostError
from ..extensions import db
from ..models import ApiKey
from ..services import api_keys as service
from . import bp
from .forms import ApiKeyForm, ConfirmForm


@bp.get("/settings/api-keys")
@requires("viewer:manage_keys")
def api_keys():
    keys = db.session.scalars(
        service.list_keys_query(current_user).order_by(ApiKey.created_at.desc()).limit(200)
    ).all()
    return render_template(
        "console/api_keys.html", keys=keys, form=ApiKeyForm(), confirm=ConfirmForm(), new_key=None
    )


@bp.post("/settings/api-keys")
@requires("viewer:manage_keys")
def create_api_key():
    form = ApiKeyForm()
    new_key = None
    if form.validate_on_submit():
        try:
            _, new_key = service.create_key(current_user, form.name.data)
        except OutpostError as error:
            flash(error.message, "error")
    else:
        flash("Give the key a name.", "error")
    keys = db.session.scalars(
        service.list_keys_query(current_user).order_by(ApiKey.created_at.desc()).limit(200)
    ).all()
    return render_template(
        "console/api_keys.html",
        keys=keys,
        form=ApiKeyForm(formdata=None),
        confirm=ConfirmForm(),
        new_key=new_key,
    )


@bp.post("/settings/api-keys/<key_id>/delete")
@requires("viewer:manage_keys")
def delete_api_key(key_id: str):
    if ConfirmForm().validate_on_submit():
        service.delete_key(current_user, key_id)
        flash(f"API key {key_id} deleted. It stops working at once.", "success")
    return redirect(url_for("console.api_keys"))
