"""What a team's home page shows besides its intro: showcased projects and reports (only those
the viewer may see) and external links (only http(s) ones).

The team's ``showcase`` holds ``{"kind": "project", "name": ...}`` and
``{"kind": "report", "id": ...}`` entries, in the order they are shown.
"""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..errors import ValidationFailed
from ..extensions import db
from ..models import Project, Report, Team
from ..services import projects as project_service
from .templating import safe_url

MAX_CHOICES = 200


def _entries(team: Team, kind: str, key: str) -> list:
    return [
        item.get(key)
        for item in team.showcase or []
        if isinstance(item, dict) and item.get("kind", "project") == kind and item.get(key)
    ]


def showcased_projects(team: Team) -> list[Project]:
    names = _entries(team, "project", "name")
    if not names:
        return []
    stmt = project_service.projects_query(current_user, team).where(Project.name.in_(names))
    found = {project.name: project for project in db.session.scalars(stmt)}
    return [found[name] for name in names if name in found]


def showcased_reports(team: Team) -> list[tuple[Report, Project]]:
    ids = [i for i in _entries(team, "report", "id") if isinstance(i, int)]
    if not ids:
        return []
    visible = project_service.projects_query(current_user, team).subquery()
    rows = db.session.execute(
        select(Report, Project)
        .join(Project, Project.id == Report.project_id)
        .where(Report.id.in_(ids), Project.id.in_(select(visible.c.id)))
    ).all()
    found = {report.id: (report, project) for report, project in rows}
    return [found[i] for i in ids if i in found]


def links(team: Team) -> list[dict[str, str]]:
    shown = []
    for item in team.links or []:
        url = safe_url(item.get("url")) if isinstance(item, dict) else None
        if url:
            shown.append({"label": item.get("label") or url, "url": url})
    return shown


def parse_links(text: str) -> list[dict[str, str]]:
    """``label | url`` per line (or a bare URL). Raises ValidationFailed (``invalid_link``)."""
    parsed = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        label, _, url = line.rpartition("|") if "|" in line else ("", "", line)
        url, label = url.strip(), label.strip()
        if safe_url(url) is None:
            raise ValidationFailed(
                f"Line {number} of the links is not 'label | https://…': {line[:80]!r}.",
                code="invalid_link",
            )
        parsed.append({"label": label[:120] or url, "url": url[:2048]})
    if len(parsed) > 20:
        raise ValidationFailed("A team shows at most 20 links.", code="too_many_links")
    return parsed


def fill_showcase_form(form, team: Team, submitted: bool) -> None:
    """Offer the team's projects and reports; preselect the current showcase."""
    names = db.session.scalars(
        select(Project.name)
        .where(Project.team_id == team.id)
        .order_by(Project.name)
        .limit(MAX_CHOICES)
    ).all()
    form.showcase.choices = [SelectChoice(name) for name in names]
    reports = db.session.execute(
        select(Report.id, Report.title, Project.name)
        .join(Project, Project.id == Report.project_id)
        .where(Project.team_id == team.id)
        .order_by(Report.updated_at.desc())
        .limit(MAX_CHOICES)
    ).all()
    form.showcase_reports.choices = [
        SelectChoice(str(rid), f"{title} ({project})") for rid, title, project in reports
    ]
    if not submitted:
        form.showcase.data = _entries(team, "project", "name")
        form.showcase_reports.data = [str(i) for i in _entries(team, "report", "id")]


def showcase_from_form(form) -> list[dict]:
    return [{"kind": "project", "name": name} for name in form.showcase.data or []] + [
        {"kind": "report", "id": int(rid)} for rid in form.showcase_reports.data or []
    ]
