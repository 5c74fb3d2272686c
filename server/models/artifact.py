"""Artifacts: versioned collections of files inside a project.

A collection (``mnist``, type ``dataset``) has versions v0, v1, … numbered from a counter on
the collection. A version lists its files (path, sha256 digest, size); the bytes live in the
team's bucket under a key derived from the digest, so a file shared by many versions is stored
once. A version is ``pending`` until the client has uploaded what was missing and committed it.
Aliases name versions; ``latest`` is never stored: it is the newest committed version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .project import Project
from .user import User

VERSION_STATES = ("pending", "committed")


class ArtifactCollection(db.Model):
    __tablename__ = "artifact_collections"
    __table_args__ = (
        UniqueConstraint("project_id", "name", name="uq_artifact_collections_project_name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(1000), default="")
    # The number the next version gets; bumped under a row lock, never reused.
    next_version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    project: Mapped[Project] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ArtifactCollection {self.project_id}/{self.name}>"


class ArtifactVersion(db.Model):
    __tablename__ = "artifact_versions"
    __table_args__ = (
        UniqueConstraint(
            "collection_id", "version", name="uq_artifact_versions_collection_version"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("artifact_collections.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    description: Mapped[str] = mapped_column(String(1000), default="")
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    # The run that logged this version (owned by the runs noun; kept as a plain id).
    run_id: Mapped[str | None] = mapped_column(String(128))
    # sha256 of the canonical manifest (sorted paths with digests and sizes).
    digest: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    file_count: Mapped[int] = mapped_column(Integer, default=0)
    # Where the manifest object is written in the team's bucket at commit.
    manifest_key: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    collection: Mapped[ArtifactCollection] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return f"v{self.version}"

    @property
    def name(self) -> str:
        """Read by the audit log: ``mnist:v3``."""
        return f"{self.collection.name}:v{self.version}"


class ArtifactFile(db.Model):
    """One manifest entry; the object key is derived from ``digest``.

    A reference entry (W&B ``add_reference``) has ``ref``, the URI the client resolves itself,
    and ``ref_digest``, the client's digest or ETag of it; Outpost holds no bytes for it and
    never fetches the URI. Its ``digest`` is ``ref:`` plus a hash of the reference.
    """

    __tablename__ = "artifact_files"
    __table_args__ = (
        UniqueConstraint("version_id", "path", name="uq_artifact_files_version_path"),
        # Which objects a team already holds: deduplication and clean-up look here.
        Index("ix_artifact_files_team_digest", "team_id", "digest"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("artifact_versions.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(512))
    digest: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    ref: Mapped[str | None] = mapped_column(Text, nullable=True)
    ref_digest: Mapped[str | None] = mapped_column(String(512), nullable=True)


class ArtifactAlias(db.Model):
    __tablename__ = "artifact_aliases"
    __table_args__ = (
        UniqueConstraint("collection_id", "alias", name="uq_artifact_aliases_collection_alias"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("artifact_collections.id", ondelete="CASCADE")
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("artifact_versions.id", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    version: Mapped[ArtifactVersion] = relationship()
