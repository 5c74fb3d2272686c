"""Admin › Users › a person: identity (name and e-mail, editable), state, seat and admin rights
(each change confirmed), console sessions, API keys (revocable), teams and roles, and the days
they were active."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, url_for

from .. import clock
from ..auth import requires
from ..errors import OutpostError
from ..extensions import db
from ..models import ApiKey
from ..services import activity, api_keys, user_directory
from ..services import users as service
from . import bp, reveal
from .admin_forms import UserIdentityForm
from .forms import ConfirmForm

ACTIVITY_DAYS = 30


def _page(user, form=None, status=200):
    keys = db.session.scalars(
        api_keys.list_keys_query(user).order_by(ApiKey.created_at.desc()).limit(200)
    ).all()
    since = activity.utc_day(clock.now()) - timedelta(days=ACTIVITY_DAYS - 1)
    return render_template(
        "admin/user_detail.html",
        admin_section="users",
        person=user,
        form=form or UserIdentityForm(formdata=None, obj=user),
        confirm=ConfirmForm(formdata=None),
        keys=keys,
        teams=user_directory.teams_by_user([user.id]).get(user.id, []),
        active_days=activity.active_days(user.id, since),
        activity_window=ACTIVITY_DAYS,
        here=url_for("console.admin_user_detail", username=user.username),
        reset_link=reveal.take(f"reset_link:{user.username}"),
    ), status


@bp.get("/admin/users/<username>")
@requires("system:users")
def admin_user_detail(username: str):
    return _page(service.get_person(username))


@bp.post("/admin/users/<username>/identity")
@requires("system:users")
def update_user_identity(username: str):
    user = service.get_person(username)
    form = UserIdentityForm()
    if not form.validate_on_submit():
        return _page(user, form, 422)
    try:
        service.update_identity(user, display_name=form.display_name.data, email=form.email.data)
    except OutpostError as error:
        db.session.rollback()
        field = "email" if error.code in ("invalid_email", "user_exists") else "display_name"
        getattr(form, field).errors = [error.message]
        return _page(service.get_person(username), form, error.status)
    flash(f"{username}: name and e-mail saved.", "success")
    return redirect(url_for("console.admin_user_detail", username=username))


@bp.post("/admin/users/<username>/api-keys/<key_id>/delete")
@requires("system:users")
def revoke_user_api_key(username: str, key_id: str):
    if ConfirmForm().validate_on_submit():
        try:
            api_keys.delete_key(service.get_person(username), key_id)
            flash(f"API key {key_id} of {username} revoked. It stops working at once.", "success")
        except OutpostError as error:
            flash(error.message, "error")
    return redirect(url_for("console.admin_user_detail", username=username))
