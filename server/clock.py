"""The server's clock. Tests replace it (``app.config["OUTPOST_CLOCK"]``) to walk a license
through its phases without waiting."""

from datetime import UTC, datetime

from flask import current_app, has_app_context


def now() -> datetime:
    if has_app_context():
        clock = current_app.config.get("OUTPOST_CLOCK")
        if clock is not None:
            return clock()
    return datetime.now(UTC)
