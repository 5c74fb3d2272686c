"""Projects: create, list, show, update (overview, workspace, visibility) and delete."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from ..auth import authorize, can
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import Project, Team
from . import audit
from .system_settings import get_setting

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
EDITABLE = ("display_name", "description", "overview")
MAX_WORKSPACE_BYTES = 256 * 1024


def validate_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise ValidationFailed(
            "Project names are 1-128 letters, digits, '.', '_' or '-', starting with a letter or "
            "digit.",
            code="invalid_project_name",
        )
    return name


def _check_visibility(visibility: str) -> str:
    if visibility not in ("private", "public"):
        raise ValidationFailed(
            "visibility must be 'private' or 'public'.", code="invalid_visibility"
        )
    if visibility == "public" and not get_setting("allow_public_projects"):
        raise Conflict(
            "Public projects are turned off on this instance (system setting "
            "allow_public_projects).",
            code="public_projects_disabled",
        )
    return visibility


def load_project(team: Team, name: str, principal=None) -> Project:
    """The project ``name`` of ``team``; NotFound (``project_not_found``) otherwise.

    With ``principal``, a private project of a team they cannot see is reported exactly like a
    missing one, before anything inside it is looked up, so its name cannot be probed.
    """
    project = db.session.scalar(
        select(Project).where(Project.team_id == team.id, Project.name == name)
    )
    hidden = (
        project is not None
        and principal is not None
        and not project.is_public
        and not can(principal, "team:view", team)
    )
    if project is None or hidden:
        raise NotFound(f"No project named {name!r} in {team.slug}.", code="project_not_found")
    project.team = team  # already loaded: spares a query when serialising
    return project


def projects_query(principal, team: Team):
    """Projects of ``team`` that ``principal`` may see: all of them for members, the public
    ones for everybody else."""
    stmt = select(Project).where(Project.team_id == team.id)
    if not can(principal, "project:view", team):
        stmt = stmt.where(Project.visibility == "public")
    return stmt


def other_project_names(project: Project, limit: int = 500) -> list[str]:
    """Names of the team's other projects (where a run may be moved), sorted."""
    return list(
        db.session.scalars(
            select(Project.name)
            .where(Project.team_id == project.team_id, Project.id != project.id)
            .order_by(Project.name)
            .limit(limit)
        )
    )


def create_project(
    actor,
    team: Team,
    name: str,
    *,
    display_name: str = "",
    description: str = "",
    visibility: str | None = None,
) -> Project:
    """Create a project owned by ``actor``. Raises ValidationFailed for a bad name or
    visibility, Conflict when the name is taken or public projects are turned off."""
    name = validate_name(name)
    visibility = _check_visibility(visibility or get_setting("default_project_visibility"))
    taken = db.session.scalar(
        select(Project.id).where(Project.team_id == team.id, Project.name == name)
    )
    if taken is not None:
        raise Conflict(f"{team.slug} already has a project named {name!r}.", code="project_exists")
    project = Project(
        team_id=team.id,
        name=name,
        display_name=(display_name or name)[:128],
        description=description,
        visibility=visibility,
        created_by_id=actor.id,
    )
    db.session.add(project)
    db.session.flush()
    audit.record("project:create", target=project, details={"visibility": visibility})
    db.session.commit()
    return project


def update_project(actor, project: Project, changes: dict[str, Any]) -> Project:
    """Change display name, description, overview and (team admins) visibility.

    The caller has checked ``project:edit_overview`` for the text fields; changing visibility
    is a team setting and is authorised here (``team:manage_settings``).
    """
    if "visibility" in changes:
        authorize(actor, "team:manage_settings", project)
        project.visibility = _check_visibility(changes["visibility"])
    for key in EDITABLE:
        if key in changes and changes[key] is not None:
            setattr(project, key, changes[key])
    audit.record("project:update", target=project, details={"fields": sorted(changes)})
    db.session.commit()
    return project


def rename_project(actor, project: Project, new_name: str) -> Project:
    """Give ``project`` a new name (its URLs change with it); a display name that was the old
    name follows. A team setting: ``team:manage_settings``. Raises ValidationFailed for a bad
    name, Conflict (``project_exists``) when the team already uses it."""
    authorize(actor, "team:manage_settings", project)
    new_name = validate_name(new_name)
    if new_name == project.name:
        return project
    taken = db.session.scalar(
        select(Project.id).where(Project.team_id == project.team_id, Project.name == new_name)
    )
    if taken is not None:
        raise Conflict(
            f"{project.team.slug} already has a project named {new_name!r}.", code="project_exists"
        )
    old = project.name
    if project.display_name in ("", old):
        project.display_name = new_name
    project.name = new_name
    audit.record("project:rename", target=project, details={"from": old, "to": new_name})
    db.session.commit()
    return project


def set_visibility(actor, project: Project, visibility: str) -> Project:
    """Change a project's privacy (a team setting: ``team:manage_settings``)."""
    return update_project(actor, project, {"visibility": visibility})


def update_workspace(project: Project, layout: dict[str, Any]) -> Project:
    """Replace the workspace panel layout. Raises ValidationFailed when it is too large."""
    import json

    if len(json.dumps(layout)) > MAX_WORKSPACE_BYTES:
        raise ValidationFailed(
            f"The workspace layout is larger than {MAX_WORKSPACE_BYTES // 1024} KiB.",
            code="workspace_too_large",
        )
    project.workspace = layout
    audit.record("workspace:update", target=project)
    db.session.commit()
    return project


def delete_project(project: Project, confirm: str) -> None:
    """Delete a project and everything in it, then the objects only it used: its runs' files
    and the artifact files no other project of the team refers to. ``confirm`` must repeat
    its name. Registered models that linked its artifacts keep their record."""
    from ..models import ArtifactCollection, ArtifactVersion, Run
    from . import artifact_files, artifacts, run_files

    if confirm != project.name:
        raise ValidationFailed(
            f"Type the project name ({project.name}) to confirm deletion.",
            code="confirmation_required",
        )
    team = project.team
    run_keys = run_files.stored_paths(
        list(db.session.scalars(select(Run.id).where(Run.project_id == project.id)))
    )
    version_ids = (
        select(ArtifactVersion.id)
        .join(ArtifactCollection, ArtifactCollection.id == ArtifactVersion.collection_id)
        .where(ArtifactCollection.project_id == project.id)
    )
    digests, manifest_keys = artifacts.stored_objects(version_ids)
    audit.record("project:delete", target=project)
    db.session.delete(project)
    db.session.commit()
    run_files.delete_objects(team, run_keys)
    artifact_files.release_objects(team, digests, manifest_keys)
