"""Finding what a W&B request names (entity = team, project, run) through the same services
and ``authorize`` as the REST API. Nothing here decides a permission by itself."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from ..auth import authorize
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..models import Project, Run, Team
from ..services import projects, run_queries
from ..services.profile import default_team_for
from ..services.teams import load_team

NO_ENTITY = (
    "No team to log to: set WANDB_ENTITY (or wandb.init(entity=...)) to one of your teams, "
    "or choose a default team in Outpost under Settings > Profile."
)


def principal():
    return current_user._get_current_object()


def team_named(entity: str | None) -> Team:
    """The team ``entity`` names, or the caller's default team when it names none."""
    if entity:
        return load_team(entity)
    team = default_team_for(principal().id)
    if team is None:
        raise ValidationFailed(NO_ENTITY, code="no_default_team")
    return team


def project_named(entity: str | None, name: str | None, permission="project:view") -> Project:
    """A project the caller may see (NotFound for a hidden one, as over REST)."""
    if not name:
        raise ValidationFailed("Name a project (WANDB_PROJECT).", code="invalid_project_name")
    project = projects.load_project(team_named(entity), name, principal())
    authorize(principal(), permission, project)
    return project


def project_to_log(entity: str | None, name: str | None) -> Project:
    """The project runs are logged to, created on first use when the caller may create
    projects in the team (W&B creates projects implicitly)."""
    team = team_named(entity)
    name = projects.validate_name(name or "uncategorized")
    try:
        project = projects.load_project(team, name, principal())
    except NotFound:
        may_log(team, name)
        authorize(principal(), "project:create", team)
        try:
            project = projects.create_project(principal(), team, name)
        except Conflict:  # created by a concurrent request
            project = projects.load_project(team, name, principal())
    may_log(project)
    return project


def may_log(target: Team | Project | Run, project_name: str | None = None) -> None:
    """``run:log`` on a team, project or run, refused in words a W&B user understands."""
    try:
        authorize(principal(), "run:log", target)
    except Forbidden as exc:
        project = target.project if isinstance(target, Run) else target
        team = target if isinstance(target, Team) else project.team
        where = f"{team.slug}/{project_name or project.name}"
        raise Forbidden(
            f"You may not log runs to {where}: your role in team {team.slug} does not allow "
            "logging runs.",
            code=exc.code,
            permission="run:log",
        ) from None


def run_named(entity: str | None, project: str | None, run_id: str, permission="run:view") -> Run:
    run = run_queries.load_run(project_named(entity, project), run_id)
    if permission == "run:log":
        may_log(run)
    else:
        authorize(principal(), permission, run)
    return run


def attribution() -> tuple[str | None, str | None]:
    """WANDB_USERNAME / WANDB_USER_EMAIL as the SDK sends them (headers, as over REST)."""
    return (
        request.headers.get("X-Wandb-Username") or None,
        request.headers.get("X-Wandb-User-Email") or None,
    )
