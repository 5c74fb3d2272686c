"""``/teams/<team>/projects``: a team's projects with their run counts, last activity and
creators; create, rename, change visibility and delete, each for those allowed.

Every form posts and redirects back (a reload never repeats it); the service decides through
``authorize`` again, so a hidden button posted by hand is still refused.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth import can, requires
from ..errors import OutpostError
from ..extensions import db
from ..models import Project, Team
from ..services import project_listing
from ..services import projects as project_service
from ..services.system_settings import get_setting
from . import bp
from .data_forms import DeleteProjectForm, NewProjectForm, RenameProjectForm
from .forms import VisibilityForm
from .loaders import load_project
from .teams import PAGE, cursor_arg, load_team, team_flags


def project_flags(team: Team) -> dict[str, bool]:
    user = current_user
    return {
        **team_flags(team),
        "can_create_project": can(user, "project:create", team),
        "can_delete_project": can(user, "project:delete", team),
    }


@bp.get("/teams/<team>/projects")
@requires("project:view", resource=load_team)
def team_projects(team: str, resource: Team):
    page = project_listing.project_page(current_user, resource, cursor=cursor_arg(), limit=PAGE)
    new_form = NewProjectForm(formdata=None, visibility=get_setting("default_project_visibility"))
    return render_template(
        "projects/index.html",
        team=resource,
        tab="projects",
        flags=project_flags(resource),
        page=page,
        new_form=new_form,
        rename_form=RenameProjectForm(formdata=None),
        visibility_forms={
            row.project.id: VisibilityForm(formdata=None, visibility=row.project.visibility)
            for row in page.items
        },
        delete_forms={
            row.project.id: DeleteProjectForm(formdata=None, confirm=row.project.name)
            for row in page.items
        },
    )


def _back(team: Team):
    return redirect(url_for("console.team_projects", team=team.slug))


def _attempt(action, success: str) -> bool:
    """Run a service call; flash its success or its error (rolled back)."""
    try:
        action()
    except OutpostError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    flash(success, "success")
    return True


@bp.post("/teams/<team>/projects")
@requires("project:create", resource=load_team)
def create_project(team: str, resource: Team):
    form = NewProjectForm()
    if not form.validate_on_submit():
        flash("Give the project a name and a visibility.", "error")
        return _back(resource)
    name = form.name.data.strip()
    _attempt(
        lambda: project_service.create_project(
            current_user, resource, name, visibility=form.visibility.data
        ),
        f"Project {name} created.",
    )
    return _back(resource)


@bp.post("/teams/<team>/projects/<project>/rename")
@requires("team:manage_settings", resource=load_project)
def rename_project(team: str, project: str, resource: Project):
    form = RenameProjectForm()
    if form.validate_on_submit():
        new_name = form.name.data.strip()
        _attempt(
            lambda: project_service.rename_project(current_user, resource, new_name),
            f"{project} is now called {new_name}.",
        )
    else:
        flash("Give the new name.", "error")
    return _back(resource.team)


@bp.post("/teams/<team>/projects/<project>/visibility")
@requires("team:manage_settings", resource=load_project)
def change_project_visibility(team: str, project: str, resource: Project):
    form = VisibilityForm()
    if form.validate_on_submit():
        _attempt(
            lambda: project_service.set_visibility(current_user, resource, form.visibility.data),
            f"{project} is now {form.visibility.data}.",
        )
    else:
        flash("Choose private or public.", "error")
    return _back(resource.team)


@bp.post("/teams/<team>/projects/<project>/delete")
@requires("project:delete", resource=load_project)
def delete_project(team: str, project: str, resource: Project):
    form = DeleteProjectForm()
    team_row = resource.team
    if form.validate_on_submit():
        _attempt(
            lambda: project_service.delete_project(resource, form.confirm.data or ""),
            f"Project {project} and everything in it were deleted.",
        )
    return _back(team_row)
