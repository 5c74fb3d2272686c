"""A user's personal GitHub connection (OAuth): the linked login and the sealed token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class GithubConnection(db.Model):
    __tablename__ = "github_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    github_login: Mapped[str] = mapped_column(String(100))
    github_id: Mapped[int] = mapped_column(BigInteger)
    # The OAuth access token, encrypted at rest (services.secret_box); never shown again.
    token_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
