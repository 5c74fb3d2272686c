"""Admin › Users: search and filter every person, invite (the link shown once), deactivate or
reactivate, promote or demote, change seat type, export CSV."""

from __future__ import annotations

from types import SimpleNamespace

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from ..api.pagination import paginate
from ..auth import requires
from ..errors import OutpostError
from ..models import User
from ..redirects import safe_next
from ..services import console_sessions, user_directory, user_invites
from ..services import users as service
from . import bp, reveal
from .admin_forms import InviteUserForm, UserChangeForm

PAGE_SIZE = 50
# A row button's ``change`` and what it asks of the users service.
CHANGES = {
    "deactivate": {"state": "deactivated"},
    "reactivate": {"state": "active"},
    "promote": {"system_admin": True},
    "demote": {"system_admin": False},
}
# Break-glass system admins may still sign in with a password in SSO-only mode.
BREAK_GLASS = {"break_glass_on": True, "break_glass_off": False}
DONE = {
    "break_glass_on": "{} is a break-glass account: password sign-in works in SSO-only mode.",
    "break_glass_off": "{} is no longer a break-glass account.",
    "deactivate": "{} is deactivated: their sessions ended and their API keys stopped working.",
    "reactivate": "{} is active again.",
    "promote": "{} is now a system admin.",
    "demote": "{} is no longer a system admin.",
    "seat": "{} now has a {} seat.",
}


def _filters() -> user_directory.UserFilters:
    args = request.args
    state, seat = args.get("state"), args.get("seat_type")
    return user_directory.UserFilters(
        q=(args.get("q") or "").strip()[:254] or None,
        state=state if state in ("invited", "active", "deactivated") else None,
        seat_type=seat if seat in ("full", "viewer") else None,
        system_admin={"yes": True, "no": False}.get(args.get("system_admin", "")),
    )


def _filter_args() -> dict[str, str]:
    keys = ("q", "state", "seat_type", "system_admin")
    return {key: request.args[key] for key in keys if request.args.get(key)}


def _render(invite_form=None, invited=None, status=200):
    page = paginate(
        user_directory.users_query(_filters()),
        User.id,
        cursor=request.args.get("cursor") or None,
        limit=PAGE_SIZE,
    )
    return render_template(
        "admin/users.html",
        admin_section="users",
        users=page.items,
        teams=user_directory.teams_by_user([user.id for user in page.items]),
        next_cursor=page.next_cursor,
        filter_args=_filter_args(),
        paged=bool(request.args.get("cursor")),
        invite_form=invite_form or InviteUserForm(formdata=None),
        invited=invited,
        here=request.full_path.rstrip("?"),
        me=current_user.id,
    ), status


@bp.get("/admin/users")
@requires("system:users")
def admin_users():
    return _render(invited=_shown_invitation())


def _show_invitation(result) -> Response:
    """Keep the one-time link for the next page view, and redirect to it (reload-safe)."""
    reveal.stash(
        "user_invite",
        email=result.user.email,
        link=result.link,
        expires_at=result.expires_at.isoformat(),
        email_sent=result.email_sent,
        email_error=result.email_error,
    )
    return redirect(url_for("console.admin_users"))


def _shown_invitation():
    shown = reveal.take("user_invite")
    if shown is None:
        return None
    return SimpleNamespace(user=SimpleNamespace(email=shown.pop("email")), **shown)


@bp.post("/admin/users/invite")
@requires("system:users")
def invite_user():
    form = InviteUserForm()
    if not form.validate_on_submit():
        flash("Give the e-mail address of the person to invite.", "error")
        return _render(form, status=422)
    try:
        result = user_invites.invite_user(
            form.email.data,
            seat_type=form.seat_type.data,
            system_admin=form.system_admin.data,
            invited_by=current_user,
        )
    except OutpostError as error:
        flash(error.message, "error")
        return _render(form, status=error.status)
    return _show_invitation(result)


@bp.post("/admin/users/<username>/invitation")
@requires("system:users")
def reissue_invitation(username: str):
    try:
        result = user_invites.reissue_invite(service.get_person(username), current_user)
    except OutpostError as error:
        flash(error.message, "error")
        return redirect(url_for("console.admin_users"))
    return _show_invitation(result)


def _back(target: str | None) -> str:
    return safe_next(target, url_for("console.admin_users"), prefix="/admin/users")


@bp.post("/admin/users/<username>/change")
@requires("system:users")
def change_user(username: str):
    form = UserChangeForm()
    change = form.change.data if form.validate_on_submit() else None
    if change != "seat" and change not in CHANGES and change not in BREAK_GLASS:
        flash("Unknown change.", "error")
        return redirect(_back(form.next.data))
    wanted = CHANGES.get(change) or {"seat_type": form.seat_type.data or "full"}
    try:
        person = service.get_person(username)
        if change in BREAK_GLASS:
            user = service.set_break_glass(person, BREAK_GLASS[change])
        else:
            user = service.update_user(person, **wanted)
    except OutpostError as error:
        flash(f"{username}: {error.message}", "error")
    else:
        flash(DONE[change].format(user.username, user.seat_type), "success")
    return redirect(_back(form.next.data))


@bp.post("/admin/users/<username>/sign-out")
@requires("system:users")
def sign_out_user(username: str):
    """End every console session of a user at once (a lost laptop, a shared computer)."""
    form = UserChangeForm()
    if form.validate_on_submit():
        try:
            ended = console_sessions.end_all(service.get_person(username))
        except OutpostError as error:
            flash(f"{username}: {error.message}", "error")
        else:
            flash(f"{username} is signed out everywhere ({ended} session(s) ended).", "success")
    return redirect(_back(form.next.data))


@bp.get("/admin/users/export.csv")
@requires("system:users")
def export_users():
    lines = user_directory.export_csv(_filters())
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="outpost-users.csv"'},
    )
