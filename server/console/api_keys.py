"""My API keys page (Settings › API keys): create (the full key shown once, with a copy
button), a table of key id, name, created and last used, delete with confirmation.

Viewer seats have no keys (``authorize`` refuses the page); while the system setting
``disable_api_key_creation`` is on, the page lists and deletes keys but offers no creation.
"""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth import requires
from ..errors import OutpostError
from ..extensions import db
from ..models import ApiKey
from ..services import api_keys as service
from . import bp, reveal
from .forms import ApiKeyForm, ConfirmForm


def _render(form: ApiKeyForm, new_key: str | None = None, status: int = 200):
    keys = db.session.scalars(
        service.list_keys_query(current_user).order_by(ApiKey.created_at.desc()).limit(200)
    ).all()
    return render_template(
        "settings/api_keys.html",
        section="api_keys",
        keys=keys,
        form=form,
        confirm=ConfirmForm(),
        new_key=new_key,
        creation_disabled=service.key_creation_disabled(),
    ), status


@bp.get("/settings/api-keys")
@requires("viewer:manage_keys")
def api_keys():
    shown = reveal.take("api_key")
    return _render(ApiKeyForm(), new_key=shown["key"] if shown else None)


@bp.post("/settings/api-keys")
@requires("viewer:manage_keys")
def create_api_key():
    form = ApiKeyForm()
    if not form.validate_on_submit():
        flash("Give the key a name.", "error")
        return _render(form, status=422)
    try:
        _, new_key = service.create_key(current_user, form.name.data)
    except OutpostError as error:
        flash(error.message, "error")
        return _render(form, status=error.status)
    reveal.stash("api_key", key=new_key)
    flash("API key created. Copy it now: it is shown only once.", "success")
    return redirect(url_for("console.api_keys"))


@bp.post("/settings/api-keys/<key_id>/delete")
@requires("viewer:manage_keys")
def delete_api_key(key_id: str):
    if ConfirmForm().validate_on_submit():
        try:
            service.delete_key(current_user, key_id)
            flash(f"API key {key_id} deleted. It stops working at once.", "success")
        except OutpostError as error:
            flash(error.message, "error")
    return redirect(url_for("console.api_keys"))
