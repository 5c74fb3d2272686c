"""Seat accounting. The free edition has no seat limit; a license sets one."""

from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..models import User


def active_full_seats() -> int:
    return (
        db.session.scalar(
            select(func.count(User.id)).where(
                User.kind == "user", User.state == "active", User.seat_type == "full"
            )
        )
        or 0
    )


def ensure_seat_available(user: User) -> None:
    """Raise when activating ``user`` on a full seat would exceed the licensed seats.

    Without a license there is no limit; the license noun enforces the licensed number.
    """
    return None
