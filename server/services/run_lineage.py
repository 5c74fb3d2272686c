"""What a run has to do with artifacts: the versions it logged (``run_id`` on the version)
and the versions it used (:class:`RunArtifactUse` rows), in both directions.

Use is declared by whoever may log to the run (``run:log``, so a service account only on the
runs it sent) of a committed version it may read (``artifact:view``): its own team's, or a
public project's of another team. A private project of another team is not found, exactly as
everywhere else. Lists show only what the viewer may read: a use whose other end lies in a
private project of a team the viewer is not in is left out.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from .. import clock
from ..auth import authorize
from ..extensions import db
from ..models import (
    ArtifactCollection,
    ArtifactVersion,
    Membership,
    Project,
    Run,
    RunArtifactUse,
    Team,
)
from . import artifacts, audit
from .projects import load_project
from .teams import load_team

LIMIT = 100


def produced_by(run: Run) -> list[ArtifactVersion]:
    """Artifact versions of the run's project that the run logged, newest first (one query)."""
    return list(
        db.session.scalars(
            select(ArtifactVersion)
            .join(ArtifactCollection, ArtifactCollection.id == ArtifactVersion.collection_id)
            .where(
                ArtifactCollection.project_id == run.project_id,
                ArtifactVersion.run_id == run.run_id,
            )
            .options(contains_eager(ArtifactVersion.collection))
            .order_by(ArtifactVersion.id.desc())
            .limit(LIMIT)
        )
    )


# --- declaring use -------------------------------------------------------------------------


def source_version(
    actor,
    run: Run,
    *,
    artifact: str,
    version: str = artifacts.LATEST,
    team: str | None = None,
    project: str | None = None,
) -> ArtifactVersion:
    """The artifact version a run names as input: ``artifact`` at ``version`` (``v3``,
    ``latest`` or an alias) in ``team``/``project``, by default the run's own.

    Raises NotFound (``team_not_found``, ``project_not_found`` for a private project of a team
    the actor cannot see, ``artifact_not_found``, ``version_not_found``) and Forbidden when
    the actor may not view the project's artifacts."""
    home = run.project
    team_row = home.team
    if team and team.lower() != team_row.slug:
        team_row = load_team(team)
    if team_row is home.team and (project or home.name) == home.name:
        source_project = home
    else:
        source_project = load_project(team_row, project or home.name, actor)
    authorize(actor, "artifact:view", source_project)
    collection = artifacts.load_collection(source_project, artifact)
    return artifacts.resolve_version(collection, version)


def _loaded_use(actor, run_pk: int, version_id: int) -> RunArtifactUse | None:
    """The use with its version, collection, project and team, as the lists load it."""
    stmt = _used(actor).where(
        RunArtifactUse.run_pk == run_pk, RunArtifactUse.version_id == version_id
    )
    return db.session.scalar(stmt)


def record_use(actor, run: Run, version: ArtifactVersion) -> tuple[RunArtifactUse, bool]:
    """Record that ``run`` used ``version``; return the use and whether it is new.

    Idempotent: declaring the same version again returns the first use (its time kept).
    Needs ``run:log`` on the run (raises Forbidden) and a committed version (Conflict
    ``version_not_committed``); the caller found the version with :func:`source_version`."""
    authorize(actor, "run:log", run)
    artifacts.require_committed(version)
    run_pk, version_id, actor_id = run.id, version.id, actor.id
    existing = _loaded_use(actor, run_pk, version_id)
    if existing is not None:
        return existing, False
    project = version.collection.project
    reference = f"{project.team.slug}/{project.name}/{version.collection.name}:v{version.version}"
    db.session.add(
        RunArtifactUse(
            run_pk=run_pk, version_id=version_id, used_by_id=actor_id, used_at=clock.now()
        )
    )
    try:
        db.session.flush()
    except IntegrityError:  # declared by a concurrent request: theirs stands
        db.session.rollback()
        return _loaded_use(actor, run_pk, version_id), False
    audit.record("run:use_artifact", target=run, details={"artifact": reference})
    db.session.commit()
    return _loaded_use(actor, run_pk, version_id), True


# --- listing -------------------------------------------------------------------------------


def _readable(viewer):
    """Projects the viewer may read: public ones, and every project of a team it belongs to
    (every team role may view runs and artifacts), in teams that are not being deleted."""
    member_of = select(Membership.team_id).where(Membership.user_id == viewer.id)
    return and_(
        Team.state == "active",
        or_(Project.visibility == "public", Project.team_id.in_(member_of)),
    )


def _used(viewer):
    return (
        select(RunArtifactUse)
        .join(ArtifactVersion, ArtifactVersion.id == RunArtifactUse.version_id)
        .join(ArtifactCollection, ArtifactCollection.id == ArtifactVersion.collection_id)
        .join(Project, Project.id == ArtifactCollection.project_id)
        .join(Team, Team.id == Project.team_id)
        .where(_readable(viewer))
        .options(
            contains_eager(RunArtifactUse.version)
            .contains_eager(ArtifactVersion.collection)
            .contains_eager(ArtifactCollection.project)
            .contains_eager(Project.team),
            selectinload(RunArtifactUse.used_by),
        )
    )


def used_query(run: Run, viewer):
    """The run's uses whose artifact the viewer may read, versions and places loaded (for
    :func:`~server.services.pagination.paginate` on ``RunArtifactUse.id``)."""
    return _used(viewer).where(RunArtifactUse.run_pk == run.id)


def used_by(run: Run, viewer) -> list[RunArtifactUse]:
    """The first LIMIT uses the run page shows, newest first (two queries)."""
    stmt = used_query(run, viewer).order_by(RunArtifactUse.id.desc()).limit(LIMIT)
    return list(db.session.scalars(stmt))


def users_query(version: ArtifactVersion, viewer):
    """Uses of ``version`` by runs the viewer may read, runs and places loaded (paginate on
    ``RunArtifactUse.id``)."""
    return (
        select(RunArtifactUse)
        .join(Run, Run.id == RunArtifactUse.run_pk)
        .join(Project, Project.id == Run.project_id)
        .join(Team, Team.id == Project.team_id)
        .where(RunArtifactUse.version_id == version.id, _readable(viewer))
        .options(
            contains_eager(RunArtifactUse.run)
            .contains_eager(Run.project)
            .contains_eager(Project.team),
            contains_eager(RunArtifactUse.run).selectinload(Run.created_by),
        )
    )
