"""Custom roles: instance-wide, a base role plus extra permissions from the vocabulary."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class CustomRole(db.Model):
    __tablename__ = "custom_roles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    base: Mapped[str] = mapped_column(String(16))  # "view-only" or "member"
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The identity provider's externalId for a role provisioned through SCIM.
    external_id: Mapped[str | None] = mapped_column(String(254))
