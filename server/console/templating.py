"""Template helpers of the console: sanitised Markdown, safe links, dates (the one ``when``
filter: every moment the console shows goes through it), per-user chrome."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from flask import Flask, g
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from ..markdown import render_markdown


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) link, else None: user-given links never become
    ``javascript:`` or ``data:`` hrefs."""
    url = (url or "").strip()
    if urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname:
        return url
    return None


# The one way the console shows a moment: ISO-like, in UTC, to the minute
# (``2026-12-04 21:50 UTC``); days as ``2026-12-04``; the audit log to the second.
_FORMATS = {
    "minute": "%Y-%m-%d %H:%M UTC",
    "second": "%Y-%m-%d %H:%M:%S UTC",
    "day": "%Y-%m-%d",
}


def _moment(value: datetime | date | str | None) -> datetime | date | None:
    """A datetime (UTC) or a date from a model value or an ISO string (API dictionaries)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    return value


def format_when(value: datetime | date | str | None, precision: str = "minute") -> str:
    """Plain text for flash messages and the ``when`` filter; "" for nothing."""
    moment = _moment(value)
    if moment is None:
        return ""
    if not isinstance(moment, datetime):
        precision = "day"
    return moment.strftime(_FORMATS[precision])


def age(moment: datetime | None) -> str:
    """'5 minutes ago', '3 hours ago', '2 days ago', 'in 3 days' (or 'just now')."""
    from .. import clock

    seconds = int((clock.now() - _moment(moment)).total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if abs(seconds) >= size:
            n = abs(seconds) // size
            text = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"{text} ago" if seconds > 0 else f"in {text}"
    return "just now"


def when(
    value: datetime | date | str | None,
    precision: str = "minute",
    *,
    relative: bool = False,
    never: str = "Never",
) -> Markup:
    """``<time datetime="2026-12-04T21:50:00Z">2026-12-04 21:50 UTC</time>``, with
    ``relative`` followed by "(5 minutes ago)"; ``never`` when there is no value."""
    moment = _moment(value)
    if moment is None:
        return Markup.escape(never)
    if isinstance(moment, datetime):
        machine = moment.isoformat().replace("+00:00", "Z")
    else:
        machine = moment.isoformat()
    html = Markup('<time datetime="{}">{}</time>').format(machine, format_when(moment, precision))
    if relative and isinstance(moment, datetime):
        html += Markup(' <span class="muted">({})</span>').format(age(moment))
    return html


def _chrome() -> dict:
    """Per-user parts of the page frame: beta-feature classes and which links to show."""
    if not getattr(current_user, "is_authenticated", False):
        return {"beta_classes": "", "nav_can_manage_keys": False}
    if "_console_chrome" not in g:
        from ..auth import can
        from ..services.profile import enabled_beta_features

        try:
            features = enabled_beta_features(current_user.id)
        except SQLAlchemyError:  # an error page about the database must still render
            from ..extensions import db

            db.session.rollback()
            features = set()
        g._console_chrome = {
            "beta_classes": " ".join(f"beta-{name.replace('_', '-')}" for name in sorted(features)),
            "nav_can_manage_keys": can(current_user, "viewer:manage_keys"),
        }
    return g._console_chrome


def init_templating(app: Flask) -> None:
    app.add_template_filter(render_markdown, "markdown")
    app.add_template_filter(safe_url, "safe_url")
    app.add_template_filter(when, "when")
    # The old name, for templates not yet moved to when("day") (tests/console/test_date_format.py
    # points them out); it renders the same way.
    app.add_template_filter(lambda value: when(value, "day", never=""), "day")
    app.context_processor(_chrome)
