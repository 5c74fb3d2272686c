"""Users: people and (later) service accounts, the principals that act in Outpost."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

USER_STATES = ("invited", "active", "deactivated")
SEAT_TYPES = ("full", "viewer")
USER_KINDS = ("user", "service_account")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), default="user")
    state: Mapped[str] = mapped_column(String(16), default="active", index=True)
    system_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    seat_type: Mapped[str] = mapped_column(String(8), default="full")
    # A system admin who may still sign in with a password when SSO-only mode is on.
    break_glass: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Bumped whenever existing sessions must end (deactivation, password change).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Service accounts belong to exactly one team.
    service_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE", use_alter=True), index=True
    )
    # SCIM provisioning: the identity provider's userName (lowercased; the Outpost username is
    # derived from it once), its externalId, and whether a SCIM DELETE took the account out of
    # the provider's view (the account stays, deactivated, with its runs and reports).
    scim_user_name: Mapped[str | None] = mapped_column(String(254), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(254), index=True)
    scim_deprovisioned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # The same interface as server.auth.principal.Principal, so services accept either.
    @property
    def is_active(self) -> bool:
        return self.state == "active"

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_service_account(self) -> bool:
        return self.kind == "service_account"

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username}>"
