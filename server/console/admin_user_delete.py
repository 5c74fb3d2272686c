"""Admin › Users › a person › Delete: a typed confirmation that says what stays (their runs,
reports and artifacts, shown as "deleted user") and what goes (keys, sessions, memberships,
pending invitations they sent). Only a deactivated person can be deleted."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth import requires
from ..errors import OutpostError
from ..extensions import db
from ..services import user_deletion
from ..services import users as service
from . import bp
from .admin_forms import DeleteUserForm


def _confirm_page(user, form, error=None, status=200):
    return render_template(
        "admin/user_delete.html",
        admin_section="users",
        person=user,
        form=form,
        error=error,
        impact=user_deletion.deletion_impact(user),
        refusal=user_deletion.refusal(current_user, user),
    ), status


@bp.get("/admin/users/<username>/delete")
@requires("system:users")
def confirm_delete_user(username: str):
    return _confirm_page(service.get_person(username), DeleteUserForm(formdata=None))


@bp.post("/admin/users/<username>/delete")
@requires("system:users")
def delete_user(username: str):
    user = service.get_person(username)
    form = DeleteUserForm()
    if not form.validate_on_submit():
        return _confirm_page(user, form, "The form expired; try again.", 400)
    try:
        user_deletion.delete_user(current_user, user, form.confirm.data)
    except OutpostError as error:
        db.session.rollback()
        user = service.get_person(username)
        return _confirm_page(user, form, error.message, error.status)
    flash(
        f"{username} deleted. Their runs, reports and artifacts stay with their teams, shown "
        "as 'deleted user'; the audit log keeps their name.",
        "success",
    )
    return redirect(url_for("console.admin_users"))
