"""The audit log: one row per state-changing action or sign-in attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    # Each filter of the audit log is an index range in page order (newest first), so a page
    # costs the same however long the log is.
    __table_args__ = (
        Index("ix_audit_events_created_id", "created_at", "id"),
        Index("ix_audit_events_action_created_id", "action", "created_at", "id"),
        Index("ix_audit_events_actor_created_id", "actor_id", "created_at", "id"),
        Index("ix_audit_events_actor_name_created_id", "actor_name", "created_at", "id"),
        Index("ix_audit_events_team_created_id", "team_id", "created_at", "id"),
        Index("ix_audit_events_result_created_id", "result", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as text so the record survives renames and deletions.
    actor_name: Mapped[str] = mapped_column(String(254), default="")
    actor_ip: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    target_name: Mapped[str] = mapped_column(String(254), default="")
    team_id: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(16), default="success")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
