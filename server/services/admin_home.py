"""The admin home (``/admin``): what an operator checks first, gathered in one place.

Version, database and storage health, license and seats, user and team counts, the warnings an
operator must act on, and the latest audit events. Each health check catches its own failure
and says it in words, so the page renders whatever is broken.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select, text

from .. import clock
from ..extensions import db
from ..models import AuditEvent, Team, User
from . import licensing, mail
from .audit_log import AuditFilter, list_events
from .seats import active_full_seats

# `outpost maintenance prune` records this audit action each time it runs.
MAINTENANCE_ACTION = "audit_log:prune"
MAINTENANCE_EXPECTED_EVERY = timedelta(days=7)
LATEST_EVENTS = 10


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Warning:
    key: str
    title: str
    action: str
    since: datetime | None = None  # the moment the title refers to, shown beside it


@dataclass
class AdminHome:
    version: str
    checks: list[Check]
    license: Any
    seats_used: int
    seats_licensed: int | None
    users: dict[str, int]
    teams: int
    warnings: list[Warning] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def server_version() -> str:
    try:
        return metadata.version("outpost")
    except metadata.PackageNotFoundError:
        return "unknown"


def database_check() -> Check:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            name = connection.dialect.name
    except Exception as exc:  # any failure is the answer here, said in words
        current_app.logger.warning("admin home: database check failed: %s", exc)
        return Check("Database", False, "The database did not answer. See the server log.")
    label = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(name, name)
    return Check("Database", True, f"{label}, answering")


def storage_check() -> Check:
    from .team_storage import instance_provider, instance_storage_name

    where = instance_storage_name()
    try:
        instance_provider().ping()
    except Exception as exc:  # any failure is the answer here, said in words
        current_app.logger.warning("admin home: storage check failed: %s", exc)
        return Check("Storage", False, f"{where.capitalize()} did not answer. See the server log.")
    return Check("Storage", True, f"{where.capitalize()}, answering")


def _is_loopback(url: str | None) -> bool:
    host = (urlsplit(url if "//" in (url or "") else f"//{url}").hostname or "") if url else ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def presigned_url_base() -> str | None:
    """Where pre-signed download and upload URLs point (None: the provider's public host)."""
    from .storage_settings import instance_storage_settings

    settings = instance_storage_settings()
    return settings.public_url or settings.endpoint


def last_maintenance_run():
    return db.session.scalar(
        select(func.max(AuditEvent.created_at)).where(AuditEvent.action == MAINTENANCE_ACTION)
    )


def operator_warnings() -> list[Warning]:
    warnings = []
    base = presigned_url_base()
    if _is_loopback(base):
        warnings.append(
            Warning(
                "presigned_loopback",
                f"Download and upload links point at a loopback address ({base}).",
                "Clients on other machines cannot reach it. Set OUTPOST_URL to the address "
                "people use (and OUTPOST_STORAGE_ENDPOINT for S3 or MinIO), then restart.",
            )
        )
    if not mail.is_configured():
        warnings.append(
            Warning(
                "smtp_not_set",
                "E-mail is not set up.",
                "Invitations and password-reset links are not sent; admins must pass them on "
                "by hand. Set OUTPOST_SMTP_HOST and OUTPOST_SMTP_FROM, then restart.",
            )
        )
    last = last_maintenance_run()
    if last is None or clock.now() - last > MAINTENANCE_EXPECTED_EVERY:
        when = "has never run." if last is None else "last ran"
        warnings.append(
            Warning(
                "maintenance_not_run",
                f"Maintenance {when}",
                "Run 'outpost maintenance prune' daily from cron so old audit events and "
                "activity data are deleted as the retention settings say.",
                since=last,
            )
        )
    return warnings


def user_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(User.state, func.count(User.id)).where(User.kind == "user").group_by(User.state)
    ).all()
    counts = {state: n for state, n in rows}
    return {
        "active": counts.get("active", 0),
        "invited": counts.get("invited", 0),
        "deactivated": counts.get("deactivated", 0),
    }


def team_count() -> int:
    return db.session.scalar(select(func.count(Team.id)).where(Team.state == "active")) or 0


def admin_home() -> AdminHome:
    status = licensing.current_status()
    events, _ = list_events(AuditFilter(), limit=LATEST_EVENTS)
    return AdminHome(
        version=server_version(),
        checks=[database_check(), storage_check()],
        license=status,
        seats_used=active_full_seats(),
        seats_licensed=licensing.seat_limit(),
        users=user_counts(),
        teams=team_count(),
        warnings=operator_warnings(),
        events=events,
    )
