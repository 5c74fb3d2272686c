"""Resource loaders for the console's data pages (projects, runs): each signs the visitor in
first, then loads through the services, so a private project of a team the visitor cannot see
is reported exactly like a missing one."""

from __future__ import annotations

from flask_login import current_user

from ..models import Project, Report, ReportComment, Run
from ..services import projects as project_service
from ..services import reports as report_service
from ..services import run_queries
from ..services import teams as team_service
from .teams import require_signed_in


def load_project(team: str, project: str) -> Project:
    require_signed_in()
    team_row = team_service.load_team(team)
    return project_service.load_project(team_row, project, current_user)


def load_run(team: str, project: str, run_id: str) -> Run:
    return run_queries.load_run(load_project(team, project), run_id)


def load_report(team: str, project: str, id: int) -> Report:
    return report_service.load_report(load_project(team, project), id)


def load_comment(team: str, project: str, id: int, comment_id: int) -> ReportComment:
    return report_service.load_comment(load_report(team, project, id), comment_id)
