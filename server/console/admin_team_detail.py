"""Admin › Teams › a team: members (paged), storage and usage, rename (the display name: the
team's name names its bucket and every link, so it never changes and old links keep working),
transfer (make a member admin, optionally the only one), and a link to delete. Every change is
confirmed first, carries a CSRF token, redirects back and is audited by its service."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import requires
from ..charts import human_bytes
from ..errors import OutpostError
from ..extensions import db
from ..models import Membership
from ..services import memberships, team_overview
from ..services import teams as service
from ..services.pagination import paginate
from . import bp
from .admin_forms import TeamRenameForm, TeamTransferForm

PAGE_SIZE = 50


@bp.get("/admin/teams/<team>")
@requires("system:teams")
def admin_team_detail(team: str):
    row = service.load_team(team, include_deleted=True)
    page = paginate(
        memberships.members_query(row),
        Membership.id,
        cursor=request.args.get("cursor") or None,
        limit=PAGE_SIZE,
    )
    usage = team_overview.usage(row)
    return render_template(
        "admin/team_detail.html",
        admin_section="teams",
        team=row,
        members=page,
        role_name=memberships.role_name,
        usage=usage,
        used=human_bytes(usage.used_bytes) if usage.used_bytes is not None else None,
        rename_form=TeamRenameForm(formdata=None, obj=row),
        transfer_form=TeamTransferForm(formdata=None),
        args=request.args,
    )


def _back(team: str):
    return redirect(url_for("console.admin_team_detail", team=team))


@bp.post("/admin/teams/<team>/rename")
@requires("system:teams")
def rename_team(team: str):
    row = service.load_team(team)
    form = TeamRenameForm()
    if not form.validate_on_submit():
        flash("Give a display name of 1 to 128 characters.", "error")
        return _back(row.slug)
    old = row.display_name
    service.update_team(row, {"display_name": form.display_name.data.strip()})
    flash(f"{row.slug} is now shown as {row.display_name!r} (was {old!r}).", "success")
    return _back(row.slug)


@bp.post("/admin/teams/<team>/transfer")
@requires("system:teams")
def transfer_team(team: str):
    row = service.load_team(team)
    form = TeamTransferForm()
    if not form.validate_on_submit():
        flash("Name the member who takes the team over.", "error")
        return _back(row.slug)
    to = form.member.data.strip().lower()
    try:
        demoted = team_overview.transfer_admin(
            current_user, row, to, demote_others=form.demote_others.data
        )
    except OutpostError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(row.slug)
    text = f"{to} is now an admin of {row.slug}."
    if demoted:
        text += f" {', '.join(demoted)} became member{'s' if len(demoted) > 1 else ''}."
    flash(text, "success")
    return _back(row.slug)
