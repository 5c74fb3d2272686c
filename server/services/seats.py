"""Seat accounting. The free edition has no seat limit; a license sets one."""

from __future__ import annotations

from sqlalchemy import func, select

from ..errors import Conflict
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


def ensure_seat_available(seat_type: str = "full") -> None:
    """Raise Conflict (``seat_limit_reached``) when one more active full-seat user would exceed
    the licensed seats. Viewer seats and the free edition are not limited."""
    if seat_type != "full":
        return
    from .licensing import seat_limit

    limit = seat_limit()
    if limit is not None and active_full_seats() + 1 > limit:
        raise Conflict(
            f"All {limit} licensed seats are in use. Deactivate a user, move one to a viewer "
            "seat, or upload a license with more seats.",
            code="seat_limit_reached",
            seats=limit,
        )
