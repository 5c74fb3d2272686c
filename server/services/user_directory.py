"""The instance's user list for system admins: search, filters, teams per user, CSV export.

Lists never cost a query per user: teams are fetched for a whole page in one query.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import or_, select

from ..extensions import db
from ..models import CustomRole, Membership, Team, User
from . import audit

EXPORT_BATCH = 500
CSV_COLUMNS = (
    "username",
    "email",
    "display_name",
    "state",
    "seat_type",
    "system_admin",
    "created_at",
    "last_active_at",
    "teams",
)


@dataclass(frozen=True)
class UserFilters:
    q: str | None = None
    state: str | None = None
    seat_type: str | None = None
    system_admin: bool | None = None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def users_query(filters: UserFilters):
    """People (not service accounts) matching ``filters``; ``q`` searches username, e-mail and
    display name, case-insensitively."""
    stmt = select(User).where(User.kind == "user")
    if filters.q and filters.q.strip():
        pattern = _like(filters.q.strip().lower())
        stmt = stmt.where(
            or_(
                User.username.ilike(pattern, escape="\\"),
                User.email.ilike(pattern, escape="\\"),
                User.display_name.ilike(pattern, escape="\\"),
            )
        )
    if filters.state:
        stmt = stmt.where(User.state == filters.state)
    if filters.seat_type:
        stmt = stmt.where(User.seat_type == filters.seat_type)
    if filters.system_admin is not None:
        stmt = stmt.where(User.system_admin.is_(filters.system_admin))
    return stmt


def teams_by_user(user_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """``{user id: [{"name", "role"}, ...]}`` for active teams, in one query."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Membership.user_id, Team.slug, Membership.role, CustomRole.name)
        .join(Team, Team.id == Membership.team_id)
        .outerjoin(CustomRole, CustomRole.id == Membership.custom_role_id)
        .where(Membership.user_id.in_(user_ids), Team.state == "active")
        .order_by(Team.slug)
    ).all()
    teams: dict[int, list[dict[str, str]]] = defaultdict(list)
    for user_id, slug, role, custom_name in rows:
        name = (custom_name or "custom") if role == "custom" else role
        teams[user_id].append({"name": slug, "role": name})
    return teams


def _cell(value) -> str:
    """CSV-safe text: a cell a spreadsheet would read as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(user: User, teams: list[dict[str, str]]) -> list[str]:
    team_text = "; ".join(f"{t['name']}:{t['role']}" for t in teams)
    values = [getattr(user, column) for column in CSV_COLUMNS[:-1]] + [team_text]
    return [_cell(value) for value in values]


def export_csv(filters: UserFilters) -> Iterator[str]:
    """The matching users as CSV text, produced in batches (constant memory, two queries per
    batch). The export itself is audited (``user:export``)."""
    audit.record_now(
        "user:export",
        target_type="users",
        details={k: v for k, v in filters.__dict__.items() if v not in (None, "")},
    )
    return _csv_lines(filters)


def _csv_lines(filters: UserFilters) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    last_id = 0
    while True:
        batch = db.session.scalars(
            users_query(filters).where(User.id > last_id).order_by(User.id).limit(EXPORT_BATCH)
        ).all()
        if not batch:
            return
        teams = teams_by_user([user.id for user in batch])
        for user in batch:
            writer.writerow(_row(user, teams.get(user.id, [])))
        yield flush()
        last_id = batch[-1].id
