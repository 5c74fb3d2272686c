"""The model registry of a team: registered models whose versions link artifact versions.

A model version (v0, v1, … per model) points at one committed artifact version of one of the
team's projects. Where it came from is also copied onto the row, so the registry still says
what it linked after the project is deleted (the link itself then becomes NULL). Aliases name
model versions; aliases on the team's protected list may be moved only by registry admins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .artifact import ArtifactVersion
from .base import UTCDateTime, utcnow
from .user import User


class RegisteredModel(db.Model):
    __tablename__ = "registered_models"
    __table_args__ = (UniqueConstraint("team_id", "name", name="uq_registered_models_team_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(String(1000), default="")
    next_version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    created_by: Mapped[User | None] = relationship()


class ModelVersion(db.Model):
    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("model_id", "version", name="uq_model_versions_model_version"),
        UniqueConstraint("model_id", "artifact_version_id", name="uq_model_versions_model_source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    artifact_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("artifact_versions.id", ondelete="SET NULL"), index=True
    )
    source_project: Mapped[str] = mapped_column(String(128))
    source_artifact: Mapped[str] = mapped_column(String(128))
    source_version: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    model: Mapped[RegisteredModel] = relationship()
    artifact_version: Mapped[ArtifactVersion | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def name(self) -> str:
        """Read by the audit log: ``classifier:v2``."""
        return f"{self.model.name}:v{self.version}"


class ModelAlias(db.Model):
    __tablename__ = "model_aliases"
    __table_args__ = (UniqueConstraint("model_id", "alias", name="uq_model_aliases_model_alias"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    alias: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    model_version: Mapped[ModelVersion] = relationship()


class ProtectedAlias(db.Model):
    """An alias name that only registry admins may set or remove on the team's models."""

    __tablename__ = "registry_protected_aliases"
    __table_args__ = (
        UniqueConstraint("team_id", "alias", name="uq_registry_protected_aliases_team_alias"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()
