"""One-query loaders for the routes under a team's project: the team, the project (and the
run) and the principal's membership row, fetched together.

Every project or run route needs the same four things before it can answer; reading them in
one round trip (and handing the membership row to :mod:`server.auth.policy`, which then
decides without a query) keeps a run request at a constant, small number of statements.
The answers are those of the separate loaders: a missing or deleted team is
``team_not_found``, a missing project, or a private one the principal may not see,
``project_not_found``, a missing run ``run_not_found``.
"""

from __future__ import annotations

import functools

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..auth import can
from ..auth.policy import remember_team_grants
from ..errors import NotFound
from ..extensions import db
from ..models import CustomRole, Membership, Project, Run, Team
from .memberships import grants_from_row
from .teams import team_not_found


@functools.cache
def _statement(with_run: bool):
    """Built once per shape, with bound parameters (``slug``, ``name``, ``user_id`` and
    ``run_id``): the hot path compiles nothing."""
    entities = [Team, Project] + ([Run] if with_run else [])
    stmt = (
        select(
            *entities,
            Membership.role,
            Membership.registry_admin,
            CustomRole.base,
            CustomRole.permissions,
        )
        .select_from(Team)
        .outerjoin(Project, and_(Project.team_id == Team.id, Project.name == bindparam("name")))
        .outerjoin(
            Membership,
            and_(Membership.team_id == Team.id, Membership.user_id == bindparam("user_id")),
        )
        .outerjoin(CustomRole, CustomRole.id == Membership.custom_role_id)
        .where(Team.slug == bindparam("slug"))
    )
    if with_run:
        stmt = stmt.outerjoin(
            Run, and_(Run.project_id == Project.id, Run.run_id == bindparam("run_id"))
        ).options(joinedload(Run.created_by), joinedload(Run.logged_by), joinedload(Run.sweep))
    return stmt


def _load(principal, slug: str, name: str, run_id: str | None):
    params = {"slug": slug.lower(), "name": name, "user_id": getattr(principal, "id", None) or 0}
    if run_id is not None:
        params["run_id"] = run_id
    row = db.session.execute(_statement(run_id is not None), params).first()
    team = row[0] if row is not None else None
    if team is None or team.state != "active":
        raise team_not_found(slug)
    if getattr(principal, "is_authenticated", False):
        remember_team_grants(principal, team.id, grants_from_row(row[-4:]))
    project = row[1]
    if project is None or (not project.is_public and not can(principal, "team:view", team)):
        raise NotFound(f"No project named {name!r} in {team.slug}.", code="project_not_found")
    set_committed_value(project, "team", team)
    return row, project


def load_project(principal, slug: str, name: str) -> Project:
    """The project ``name`` of team ``slug``, its team attached."""
    return _load(principal, slug, name, None)[1]


def load_run(principal, slug: str, name: str, run_id: str) -> Run:
    """The run ``run_id`` of that project, its project (and team) and people attached."""
    row, project = _load(principal, slug, name, run_id)
    run = row[2]
    if run is None:
        raise NotFound(f"No run {run_id!r} in {project.name}.", code="run_not_found")
    set_committed_value(run, "project", project)
    return run
