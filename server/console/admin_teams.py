"""Admin › Teams: every team with its members and storage, create (internal bucket or the
team's own bucket), delete with typed confirmation (delayed purge), restore."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..api.pagination import paginate
from ..auth import requires
from ..errors import OutpostError
from ..models import Team
from ..services import team_directory
from ..services import teams as service
from ..services import users as user_service
from ..services.licensing import current_status
from . import bp
from .admin_forms import CreateTeamForm, DeleteTeamForm
from .templating import format_when

PAGE_SIZE = 50


def _render(form=None, refusal=None, status=200):
    active = paginate(
        team_directory.active_teams_query(),
        Team.id,
        cursor=request.args.get("cursor") or None,
        limit=PAGE_SIZE,
    )
    deleted = paginate(
        team_directory.deleted_teams_query(),
        Team.id,
        cursor=request.args.get("deleted_cursor") or None,
        limit=PAGE_SIZE,
    )
    return render_template(
        "admin/teams.html",
        admin_section="teams",
        teams=active,
        deleted=deleted,
        counts=team_directory.member_counts([t.id for t in active.items]),
        form=form or CreateTeamForm(formdata=None),
        refusal=refusal,
        byob_licensed=current_status().allows_management("secure_storage_connector"),
        retention_days=team_directory.retention_days(),
        args=request.args,
    ), status


@bp.get("/admin/teams")
@requires("system:teams")
def admin_teams():
    return _render()


def _created_message(team: Team) -> tuple[str, list[str]]:
    warnings = list((team.storage_config or {}).get("warnings") or [])
    if team.storage_kind == "byob":
        text = f"Team {team.slug} created on its own bucket {team.bucket}: access verified."
    else:
        text = f"Team {team.slug} created with bucket {team.bucket}."
    return text, warnings


@bp.post("/admin/teams")
@requires("system:teams")
def create_team():
    form = CreateTeamForm()
    if not form.validate_on_submit():
        return _render(form, {"message": "Give the team a name."}, 422)
    try:
        admin = user_service.get_by_username(form.admin.data) if form.admin.data else None
        team = service.create_team(
            current_user,
            form.name.data,
            form.display_name.data or "",
            admin=admin,
            storage=form.storage_spec(),
        )
    except OutpostError as error:
        return _render(form, {"message": error.message, "code": error.code}, error.status)
    text, warnings = _created_message(team)
    flash(text, "success")
    for warning in warnings:
        flash(f"Storage warning for {team.slug}: {warning}", "warning")
    return redirect(url_for("console.admin_teams"))


@bp.get("/admin/teams/<team>/delete")
@requires("team:delete")
def confirm_delete_team(team: str):
    return _confirm_page(service.load_team(team), DeleteTeamForm(formdata=None))


def _confirm_page(team: Team, form, error=None, status=200):
    return render_template(
        "admin/team_delete.html",
        admin_section="teams",
        team=team,
        form=form,
        error=error,
        purge_on=team_directory.purge_date_if_deleted_now(),
        retention_days=team_directory.retention_days(),
    ), status


@bp.post("/admin/teams/<team>/delete")
@requires("team:delete")
def delete_team(team: str):
    row = service.load_team(team)
    form = DeleteTeamForm()
    if not form.validate_on_submit():
        return _confirm_page(row, form, "The form expired; try again.", 400)
    try:
        deleted = service.delete_team(row, form.confirm.data)
    except OutpostError as error:
        return _confirm_page(row, form, error.message, error.status)
    flash(
        f"Team {deleted.slug} deleted. It can be restored until "
        f"{format_when(deleted.purge_after)}; then its data is purged.",
        "success",
    )
    return redirect(url_for("console.admin_teams"))


@bp.post("/admin/teams/<team>/restore")
@requires("team:delete")
def restore_team(team: str):
    from .forms import ConfirmForm

    if ConfirmForm().validate_on_submit():
        try:
            restored = service.restore_team(service.load_deleted_team(team))
        except OutpostError as error:
            flash(error.message, "error")
        else:
            flash(f"Team {restored.slug} restored with its members and data.", "success")
    return redirect(url_for("console.admin_teams"))
