"""What the console's artifact pages show: collections with their version counts and latest
version, and a version's produced-by run, a page at a time in a constant number of queries."""

from __future__ import annotations

from sqlalchemy import func, select

from ..api.pagination import Page, paginate
from ..errors import NotFound
from ..extensions import db
from ..models import ArtifactCollection, ArtifactFile, ArtifactVersion, Project, Run
from .artifacts import collections_query, files_query, latest_numbers


def collection_page(project: Project, *, cursor: str | None, limit: int) -> tuple[Page, dict]:
    """Collections of ``project`` (newest first) and, per collection id, its version count
    and latest committed version number."""
    page = paginate(
        collections_query(project), ArtifactCollection.id, cursor=cursor, limit=limit,
        descending=True,
    )  # fmt: skip
    ids = [c.id for c in page.items]
    counts = dict(
        db.session.execute(
            select(ArtifactVersion.collection_id, func.count(ArtifactVersion.id))
            .where(ArtifactVersion.collection_id.in_(ids))
            .group_by(ArtifactVersion.collection_id)
        ).all()
    )
    latest = latest_numbers(ids)
    return page, {cid: (counts.get(cid, 0), latest.get(cid)) for cid in ids}


def existing_runs(project: Project, run_ids: set[str]) -> set[str]:
    """Which of ``run_ids`` are runs of ``project`` still (to link a version to its run)."""
    if not run_ids:
        return set()
    return set(
        db.session.scalars(
            select(Run.run_id).where(Run.project_id == project.id, Run.run_id.in_(run_ids))
        )
    )


def load_version_file(version: ArtifactVersion, path: str) -> ArtifactFile:
    """The file ``path`` of ``version``; NotFound (``file_not_found``) otherwise."""
    row = db.session.scalar(files_query(version).where(ArtifactFile.path == path))
    if row is None:
        raise NotFound(f"{version.name} has no file {path!r}.", code="file_not_found")
    return row
