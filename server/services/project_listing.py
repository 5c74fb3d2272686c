"""What the console's project list shows: each project with its run count, last activity and
creator, a page at a time, in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..api.pagination import Page, paginate
from ..extensions import db
from ..models import Project, Run, Team, User
from .projects import projects_query


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    run_count: int
    last_activity: datetime
    creator: str | None


def project_page(principal, team: Team, *, cursor: str | None, limit: int) -> Page:
    """Newest projects first (the ones ``principal`` may see), as :class:`ProjectRow`.

    Three queries whatever the page size: the projects, their runs' count and latest change
    (from the ``runs.project_id`` index), and their creators' names.
    """
    page = paginate(
        projects_query(principal, team), Project.id, cursor=cursor, limit=limit, descending=True
    )
    ids = [project.id for project in page.items]
    stats = {
        row.project_id: row
        for row in db.session.execute(
            select(
                Run.project_id,
                func.count(Run.id).label("runs"),
                func.max(Run.updated_at).label("last"),
            )
            .where(Run.project_id.in_(ids))
            .group_by(Run.project_id)
        )
    }
    creator_ids = {p.created_by_id for p in page.items if p.created_by_id is not None}
    names = dict(
        db.session.execute(select(User.id, User.username).where(User.id.in_(creator_ids))).all()
    )
    rows = []
    for project in page.items:
        project.team = team
        stat = stats.get(project.id)
        last = project.updated_at
        if stat is not None and stat.last is not None:
            last = max(last, stat.last)
        rows.append(
            ProjectRow(
                project=project,
                run_count=stat.runs if stat is not None else 0,
                last_activity=last,
                creator=names.get(project.created_by_id),
            )
        )
    return Page(items=rows, next_cursor=page.next_cursor)
