"""What a run has to do with artifacts: the versions it logged (``run_id`` on the version)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import ArtifactCollection, ArtifactVersion, Run

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
