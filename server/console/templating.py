"""Template helpers of the console: sanitised Markdown, safe links, dates, per-user chrome."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask, g
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..markdown import render_markdown


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) link, else None: user-given links never become
    ``javascript:`` or ``data:`` hrefs."""
    url = (url or "").strip()
    if urlsplit(url).scheme in ("http", "https") and urlsplit(url).hostname:
        return url
    return None


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") + " UTC" if value else "Never"


def day(value: datetime | None) -> str:
    return value.strftime("%b %-d, %Y") if value else ""


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
    app.add_template_filter(day, "day")
    app.context_processor(_chrome)
