"""Reports of a project in the console: the list, reading one (Markdown rendered sanitised),
its comments and following it; writing and editing for those allowed, and deleting a comment
for its author or a team admin. Forms post and redirect; the reports service and
``authorize`` decide."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth import can, requires
from ..models import Project, Report, ReportComment
from ..services import reports as service
from . import bp
from .data_forms import CommentForm, ReportForm
from .forms import ConfirmForm
from .loaders import load_comment, load_project, load_report
from .teams import PAGE, cursor_arg, team_flags

REPORTS = "/teams/<team>/projects/<project>/reports"
REPORT = REPORTS + "/<int:id>"


def _page(template: str, project: Project, **context):
    return render_template(
        template,
        team=project.team,
        project=project,
        tab="projects",
        flags=team_flags(project.team),
        **context,
    )


def _to_report(report: Report):
    project = report.project
    return redirect(
        url_for("console.report_page", team=project.team.slug, project=project.name, id=report.id)
    )


@bp.get(REPORTS)
@requires("report:view", resource=load_project)
def project_reports(team: str, project: str, resource: Project):
    from ..api.pagination import paginate

    page = paginate(
        service.reports_query(resource), Report.id, cursor=cursor_arg(), limit=PAGE, descending=True
    )
    service.attach_project(page.items, resource)
    return _page(
        "reports/index.html",
        resource,
        page=page,
        can_create=can(current_user, "report:create", resource),
    )


@bp.get(REPORTS + "/new")
@requires("report:create", resource=load_project)
def new_report(team: str, project: str, resource: Project):
    return _page("reports/edit.html", resource, form=ReportForm(formdata=None), report=None)


@bp.post(REPORTS)
@requires("report:create", resource=load_project)
def create_report(team: str, project: str, resource: Project):
    form = ReportForm()
    if not form.validate_on_submit():
        flash("A report needs a title.", "error")
        return _page("reports/edit.html", resource, form=form, report=None), 422
    report = service.create_report(
        current_user,
        resource,
        title=form.title.data,
        description=form.description.data or "",
        body=form.body.data or "",
    )
    flash("Report published.", "success")
    return _to_report(report)


@bp.get(REPORT)
@requires("report:view", resource=load_report)
def report_page(team: str, project: str, id: int, resource: Report):
    user = current_user
    comments = service.first_comments(resource)
    return _page(
        "reports/show.html",
        resource.project,
        report=resource,
        comments=comments,
        deletable={c.id for c in comments if service.may_delete_comment(user, c)},
        followers=service.follower_count(resource),
        following=service.is_following(resource, user.id),
        can_comment=can(user, "report:comment", resource),
        can_edit=can(user, "report:edit", resource),
        can_delete=can(user, "report:delete", resource),
        comment_form=CommentForm(formdata=None),
        confirm=ConfirmForm(formdata=None),
    )


@bp.get(REPORT + "/edit")
@requires("report:edit", resource=load_report)
def edit_report(team: str, project: str, id: int, resource: Report):
    form = ReportForm(
        formdata=None, title=resource.title, description=resource.description, body=resource.body
    )
    return _page("reports/edit.html", resource.project, form=form, report=resource)


@bp.post(REPORT + "/edit")
@requires("report:edit", resource=load_report)
def save_report(team: str, project: str, id: int, resource: Report):
    form = ReportForm()
    if not form.validate_on_submit():
        flash("A report needs a title.", "error")
        return _page("reports/edit.html", resource.project, form=form, report=resource), 422
    changes = {"title": form.title.data, "description": form.description.data or ""}
    service.update_report(current_user, resource, {**changes, "body": form.body.data or ""})
    flash("Report saved.", "success")
    return _to_report(resource)


@bp.post(REPORT + "/delete")
@requires("report:delete", resource=load_report)
def delete_report(team: str, project: str, id: int, resource: Report):
    if ConfirmForm().validate_on_submit():
        service.delete_report(resource)
        flash("Report deleted.", "success")
    return redirect(url_for("console.project_reports", team=team, project=project))


@bp.post(REPORT + "/follow")
@requires("report:comment", resource=load_report)
def follow_report(team: str, project: str, id: int, resource: Report):
    if ConfirmForm().validate_on_submit():
        if service.is_following(resource, current_user.id):
            service.unfollow(current_user, resource)
            flash("You no longer follow this report.", "success")
        else:
            service.follow(current_user, resource)
            flash("You follow this report.", "success")
    return _to_report(resource)


@bp.post(REPORT + "/comments")
@requires("report:comment", resource=load_report)
def comment_report(team: str, project: str, id: int, resource: Report):
    form = CommentForm()
    if form.validate_on_submit():
        service.add_comment(current_user, resource, form.body.data)
        flash("Comment added.", "success")
    else:
        flash("Write something first.", "error")
    return _to_report(resource)


@bp.post(REPORT + "/comments/<int:comment_id>/delete")
@requires("report:comment", resource=load_comment)
def delete_comment(team: str, project: str, id: int, comment_id: int, resource: ReportComment):
    """Delete a comment (its author, or whoever may delete any report here: the service
    refuses everybody else with 403), as ``DELETE .../comments/{id}``."""
    report = resource.report
    if ConfirmForm().validate_on_submit():
        service.delete_comment(current_user, resource)
        flash("Comment deleted.", "success")
    return _to_report(report)
