"""Small helpers for the UTC timestamps licenses carry."""

import math
from datetime import UTC, datetime, timedelta

DAY = timedelta(days=1)


def require_aware(now: datetime) -> datetime:
    """Return ``now`` in UTC.

    Raises ValueError for a naive datetime: guessing its zone would move every
    expiry by the server's UTC offset.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime, e.g. datetime.now(UTC)")
    return now.astimezone(UTC)


def from_timestamp(value: int | float) -> datetime:
    """Turn a JWT NumericDate (seconds since the epoch) into an aware UTC datetime."""
    return datetime.fromtimestamp(value, tz=UTC)


def to_timestamp(moment: datetime) -> int:
    """Turn an aware datetime into a JWT NumericDate (whole seconds)."""
    return int(require_aware(moment).timestamp())


def whole_days(delta: timedelta) -> int:
    """Whole days in ``delta``, rounded down: 1.5 days -> 1, -0.5 days -> -1."""
    return math.floor(delta / DAY)


def format_moment(moment: datetime) -> str:
    """A short UTC date-time for messages, e.g. ``2026-01-31 00:00 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
