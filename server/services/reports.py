"""Reports: create, edit, delete; followers; comments.

Bodies and comments are Markdown, stored as written and rendered sanitised on the way out.
A comment may be deleted by its author, or by whoever may delete any report in the team
(``report:delete`` without ``:own``: team admins).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..auth import can
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import Project, Report, ReportComment, ReportFollow
from . import audit

EDITABLE = ("title", "description", "body")
MAX_ID = 2**31 - 1


def _audit(action: str, report: Report, **details: Any) -> None:
    audit.record(
        action,
        target_type="report",
        target_id=str(report.id),
        target_name=report.title,
        team_id=report.team_id,
        details=details,
    )


def reports_query(project: Project):
    return (
        select(Report)
        .where(Report.project_id == project.id)
        .options(joinedload(Report.created_by), joinedload(Report.updated_by))
    )


def attach_project(reports: list[Report], project: Project) -> list[Report]:
    for report in reports:
        set_committed_value(report, "project", project)
    return reports


def _storable(row_id: int) -> bool:
    """Ids are 32-bit integer columns: a bigger number names nothing (and the database would
    refuse to compare with it)."""
    return 0 < row_id <= MAX_ID


def load_report(project: Project, report_id: int) -> Report:
    """Report ``report_id`` of ``project``; NotFound (``report_not_found``) otherwise."""
    report = None
    if _storable(report_id):
        report = db.session.scalar(reports_query(project).where(Report.id == report_id))
    if report is None:
        raise NotFound(f"No report {report_id} in {project.name}.", code="report_not_found")
    set_committed_value(report, "project", project)
    return report


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("A report needs a title.", code="invalid_title")
    return title


def create_report(actor, project: Project, *, title: str, description: str, body: str) -> Report:
    """A new report owned by ``actor``, who follows it. Raises ValidationFailed (title)."""
    report = Report(
        project_id=project.id,
        title=_check_title(title),
        description=description,
        body=body,
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    db.session.add(report)
    db.session.flush()
    set_committed_value(report, "project", project)
    db.session.add(ReportFollow(report_id=report.id, user_id=actor.id))
    _audit("report:create", report)
    db.session.commit()
    return load_report(project, report.id)


def update_report(actor, report: Report, changes: dict[str, Any]) -> Report:
    """Change title, description and body (the caller holds ``report:edit`` on it)."""
    changes = {k: v for k, v in changes.items() if k in EDITABLE and v is not None}
    if "title" in changes:
        changes["title"] = _check_title(changes["title"])
    for key, value in changes.items():
        setattr(report, key, value)
    report.updated_by_id = actor.id
    _audit("report:update", report, fields=sorted(changes))
    db.session.commit()
    return load_report(report.project, report.id)


def delete_report(report: Report) -> None:
    _audit("report:delete", report)
    db.session.delete(report)
    db.session.commit()


# --- followers ---------------------------------------------------------------------------


def follower_count(report: Report) -> int:
    stmt = select(func.count(ReportFollow.id)).where(ReportFollow.report_id == report.id)
    return db.session.scalar(stmt) or 0


def is_following(report: Report, user_id: int) -> bool:
    stmt = select(ReportFollow.id).where(
        ReportFollow.report_id == report.id, ReportFollow.user_id == user_id
    )
    return db.session.scalar(stmt) is not None


def follow(actor, report: Report) -> None:
    """Follow the report; following twice is the same as once."""
    if is_following(report, actor.id):
        return
    db.session.add(ReportFollow(report_id=report.id, user_id=actor.id))
    _audit("report:follow", report)
    try:
        db.session.commit()
    except IntegrityError:  # followed concurrently: the outcome is the one asked for
        db.session.rollback()


def unfollow(actor, report: Report) -> None:
    """Stop following; a no-op when not following."""
    row = db.session.scalar(
        select(ReportFollow).where(
            ReportFollow.report_id == report.id, ReportFollow.user_id == actor.id
        )
    )
    if row is None:
        return
    db.session.delete(row)
    _audit("report:unfollow", report)
    db.session.commit()


# --- comments ----------------------------------------------------------------------------


def comments_query(report: Report):
    return (
        select(ReportComment)
        .where(ReportComment.report_id == report.id)
        .options(joinedload(ReportComment.created_by))
    )


def first_comments(report: Report, limit: int = 200) -> list[ReportComment]:
    """The report's first ``limit`` comments, oldest first (their authors loaded)."""
    return list(db.session.scalars(comments_query(report).order_by(ReportComment.id).limit(limit)))


def comment_count(report: Report) -> int:
    stmt = select(func.count(ReportComment.id)).where(ReportComment.report_id == report.id)
    return db.session.scalar(stmt) or 0


def load_comment(report: Report, comment_id: int) -> ReportComment:
    comment = None
    if _storable(comment_id):
        comment = db.session.scalar(comments_query(report).where(ReportComment.id == comment_id))
    if comment is None:
        raise NotFound(f"No comment {comment_id} on this report.", code="comment_not_found")
    set_committed_value(comment, "report", report)
    return comment


def add_comment(actor, report: Report, body: str) -> ReportComment:
    """Comment on the report; the author then follows it. Raises ValidationFailed (empty)."""
    if not (body or "").strip():
        raise ValidationFailed("A comment cannot be empty.", code="invalid_comment")
    comment = ReportComment(report_id=report.id, body=body, created_by_id=actor.id)
    db.session.add(comment)
    if not is_following(report, actor.id):
        db.session.add(ReportFollow(report_id=report.id, user_id=actor.id))
    db.session.flush()
    _audit("report:comment", report, comment_id=comment.id)
    db.session.commit()
    return load_comment(report, comment.id)


def may_delete_comment(actor, comment: ReportComment) -> bool:
    """Its author may, and whoever may delete any report of the team."""
    # Checked on the comment, whose owner is its author: ``report:delete:own`` (members)
    # never reaches someone else's comment, team-wide ``report:delete`` (admins) does.
    return comment.created_by_id == actor.id or can(actor, "report:delete", comment)


def delete_comment(actor, comment: ReportComment) -> None:
    """Delete a comment: its author may, and so may whoever may delete any report here.

    Raises Forbidden (``permission_denied``) for everybody else.
    """
    if not may_delete_comment(actor, comment):
        raise Forbidden(
            "Only the comment's author or a team admin can delete it.",
            code="permission_denied",
            permission="report:delete",
        )
    _audit("report:delete_comment", comment.report, comment_id=comment.id)
    db.session.delete(comment)
    db.session.commit()
