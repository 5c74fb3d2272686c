"""Teams: the unit of membership, storage and permissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

TEAM_STATES = ("active", "deleted")
STORAGE_KINDS = ("internal", "byob")


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    state: Mapped[str] = mapped_column(String(16), default="active", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Delayed deletion: restorable until purge_after, then data is purged.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purge_after: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Storage is fixed at creation (no bucket migration).
    storage_kind: Mapped[str] = mapped_column(String(16), default="internal")
    bucket: Mapped[str] = mapped_column(String(255), default="")
    # Non-secret connector settings (provider, prefix, region, endpoint, KMS key id).
    storage_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Encrypted connector credentials; never returned by any API.
    storage_credentials: Mapped[str | None] = mapped_column(Text)

    # The identity provider's externalId for a team provisioned as a SCIM group.
    external_id: Mapped[str | None] = mapped_column(String(254), index=True)

    # Profile
    intro: Mapped[str] = mapped_column(Text, default="")
    profile_visibility: Mapped[str] = mapped_column(String(16), default="members")
    links: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    showcase: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    @property
    def is_active(self) -> bool:
        return self.state == "active"

    def __repr__(self) -> str:
        return f"<Team {self.slug}>"
