"""User profiles: what a person shows about themselves and how Outpost treats them.

Kept beside ``users`` (one row per user, made on first save) so the hot authentication path
never loads it. The Slack webhook URL is a credential and is stored sealed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class UserProfile(db.Model):
    __tablename__ = "user_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    institution: Mapped[str] = mapped_column(String(128), default="")
    bio: Mapped[str] = mapped_column(Text, default="")  # Markdown, rendered sanitised
    location: Mapped[str] = mapped_column(String(128), default="")
    website: Mapped[str] = mapped_column(String(512), default="")
    # Object key of the avatar in the instance storage's users bucket, and its media type.
    avatar_key: Mapped[str | None] = mapped_column(String(255))
    avatar_type: Mapped[str | None] = mapped_column(String(32))
    default_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    hide_teams: Mapped[bool] = mapped_column(Boolean, default=False)
    beta_features: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    # {"run_finished": ["email", "slack"], "run_crashed": [...]}
    alerts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    slack_webhook_sealed: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
