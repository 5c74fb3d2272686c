"""Artifact use: which committed artifact versions a run declared as its inputs, and when.

A run may use a version of any project its sender may read (its own team's, or a public
project of another team). Declaring the same version twice keeps the first row: use is a
fact, not an event log. Deleting the run or the version deletes the row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .artifact import ArtifactVersion
from .base import UTCDateTime, utcnow
from .run import Run
from .user import User


class RunArtifactUse(db.Model):
    __tablename__ = "run_artifact_uses"
    __table_args__ = (
        # One row per (run, version); also serves "what did this run use" (leading column).
        UniqueConstraint("run_pk", "version_id", name="uq_run_artifact_uses_run_pk_version_id"),
        # "Which runs used this version", a page at a time in id order.
        Index("ix_run_artifact_uses_version_id_id", "version_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("artifact_versions.id", ondelete="CASCADE"))
    # Who declared the use (the run's sender); kept when that account goes.
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[Run] = relationship()
    version: Mapped[ArtifactVersion] = relationship()
    used_by: Mapped[User | None] = relationship()
