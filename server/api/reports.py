"""``/teams/{team}/projects/{project}/reports``: Markdown reports, followers and comments."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from ..markdown import render_markdown
from ..models import Project, Report, ReportComment
from ..services import reports as service
from . import api
from .pagination import PageQuery, page_response, paginate
from .projects import load_project
from .routing import endpoint
from .serializers import iso

REPORTS = "/teams/<team>/projects/<project>/reports"
REPORT = REPORTS + "/<int:id>"
MAX_BODY = 200_000


class CreateReport(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)
    body: str = Field(default="", max_length=MAX_BODY, description="Markdown")


class UpdateReport(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    body: str | None = Field(default=None, max_length=MAX_BODY, description="Markdown")


class CreateComment(BaseModel):
    body: str = Field(min_length=1, max_length=20_000, description="Markdown")


def _name(user) -> str | None:
    return user.username if user is not None else None


def report_dict(report: Report) -> dict[str, Any]:
    """A report as lists show it (no body)."""
    return {
        "id": report.id,
        "team": report.project.team.slug,
        "project": report.project.name,
        "title": report.title,
        "description": report.description,
        "created_by": _name(report.created_by),
        "updated_by": _name(report.updated_by),
        "created_at": iso(report.created_at),
        "updated_at": iso(report.updated_at),
    }


def report_detail(report: Report) -> dict[str, Any]:
    return {
        **report_dict(report),
        "body": report.body,
        "body_html": str(render_markdown(report.body)),
        "followers": service.follower_count(report),
        "following": service.is_following(report, current_user.id),
        "comments": service.comment_count(report),
    }


def comment_dict(comment: ReportComment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "author": _name(comment.created_by),
        "body": comment.body,
        "body_html": str(render_markdown(comment.body)),
        "created_at": iso(comment.created_at),
    }


def load_report(team: str, project: str, id: int) -> Report:
    return service.load_report(load_project(team, project), id)


def load_comment(team: str, project: str, id: int, comment_id: int) -> ReportComment:
    return service.load_comment(load_report(team, project, id), comment_id)


@endpoint(
    api,
    REPORTS,
    "GET",
    permission="report:view",
    resource=load_project,
    query=PageQuery,
    summary="The project's reports, newest first",
)
def list_reports(team: str, project: str, resource: Project, query: PageQuery):
    stmt = service.reports_query(resource)
    page = paginate(stmt, Report.id, cursor=query.cursor, limit=query.limit, descending=True)
    service.attach_project(page.items, resource)
    return page_response(page, report_dict)


@endpoint(
    api,
    REPORTS,
    "POST",
    permission="report:create",
    resource=load_project,
    body=CreateReport,
    status=201,
    summary="Write a report (Markdown)",
)
def create_report(team: str, project: str, resource: Project, body: CreateReport):
    report = service.create_report(current_user, resource, **body.model_dump())
    return report_detail(report), 201


@endpoint(
    api,
    REPORT,
    "GET",
    permission="report:view",
    resource=load_report,
    summary="A report with its rendered body",
)
def get_report(team: str, project: str, id: int, resource: Report):
    return report_detail(resource)


@endpoint(
    api,
    REPORT,
    "PATCH",
    permission="report:edit",
    resource=load_report,
    body=UpdateReport,
    summary="Edit a report (members: their own)",
)
def update_report(team: str, project: str, id: int, resource: Report, body: UpdateReport):
    changes = body.model_dump(exclude_unset=True)
    return report_detail(service.update_report(current_user, resource, changes))


@endpoint(
    api,
    REPORT,
    "DELETE",
    permission="report:delete",
    resource=load_report,
    status=204,
    summary="Delete a report (members: their own)",
)
def delete_report(team: str, project: str, id: int, resource: Report):
    service.delete_report(resource)
    return "", 204


@endpoint(
    api,
    REPORT + "/follow",
    "POST",
    permission="report:comment",
    resource=load_report,
    summary="Follow a report",
)
def follow_report(team: str, project: str, id: int, resource: Report):
    service.follow(current_user, resource)
    return {"following": True, "followers": service.follower_count(resource)}


@endpoint(
    api,
    REPORT + "/follow",
    "DELETE",
    permission="report:comment",
    resource=load_report,
    summary="Stop following a report",
)
def unfollow_report(team: str, project: str, id: int, resource: Report):
    service.unfollow(current_user, resource)
    return {"following": False, "followers": service.follower_count(resource)}


@endpoint(
    api,
    REPORT + "/comments",
    "GET",
    permission="report:view",
    resource=load_report,
    query=PageQuery,
    summary="A report's comments, oldest first",
)
def list_report_comments(team: str, project: str, id: int, resource: Report, query: PageQuery):
    stmt = service.comments_query(resource)
    page = paginate(stmt, ReportComment.id, cursor=query.cursor, limit=query.limit)
    return page_response(page, comment_dict)


@endpoint(
    api,
    REPORT + "/comments",
    "POST",
    permission="report:comment",
    resource=load_report,
    body=CreateComment,
    status=201,
    summary="Comment on a report (Markdown)",
)
def create_report_comment(team: str, project: str, id: int, resource: Report, body: CreateComment):
    return comment_dict(service.add_comment(current_user, resource, body.body)), 201


@endpoint(
    api,
    REPORT + "/comments/<int:comment_id>",
    "DELETE",
    permission="report:comment",
    resource=load_comment,
    status=204,
    summary="Delete a comment (its author or a team admin)",
)
def delete_report_comment(
    team: str, project: str, id: int, comment_id: int, resource: ReportComment
):
    service.delete_comment(current_user, resource)
    return "", 204
