"""SCIM filters as SQL: the listings identity providers query, answered by one query per page.

A filter arrives parsed (the syntax tree of scim2-models); each comparison becomes a SQL
expression on the column that stores the attribute, so ``userName eq "x"`` is an index lookup
and no listing ever loads users into Python to test them. Counting rides on the page query as a
window function, so a page is one query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scim2_models.path.expressions import (
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)

from ..errors import ValidationFailed
from ..extensions import db
from ..models import CustomRole, Membership, Team, User

# How a column compares: case-insensitive text (LOWER: already stored lowercased, so the
# column's index serves; CI: lowercased on both sides), exact text, boolean, integer id or
# timestamp.
LOWER, CI, EXACT, BOOL, ID, TIME = "lower", "ci", "exact", "bool", "id", "time"


@dataclass(frozen=True)
class Column:
    expr: Any
    kind: str
    # For a column whose `eq` has a better (indexed) form than comparing `expr`.
    eq: Callable[[Any], ColumnElement] | None = None


def invalid_filter(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_filter")


def _like(text: str, where: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return {"co": f"%{escaped}%", "sw": f"{escaped}%", "ew": f"%{escaped}"}[where]


def _value(column: Column, op: CompareOperator, value: Any) -> Any:
    if column.kind == BOOL:
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise invalid_filter("A boolean attribute compares with eq or ne to true or false.")
        return value
    if column.kind == TIME:
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise invalid_filter(f"{value!r} is not a dateTime.") from None
    if column.kind == ID:
        return value
    if not isinstance(value, str):
        raise invalid_filter("A string attribute compares to a string.")
    return value.lower() if column.kind in (CI, LOWER) else value


def _compare(column: Column, op: CompareOperator, raw: Any) -> ColumnElement:
    value = _value(column, op, raw)
    if column.kind == ID:  # ids are integers: anything else matches nothing
        try:
            value = int(str(value))
        except ValueError:
            return false() if op is not CompareOperator.ne else true()
    if op is CompareOperator.eq and column.eq is not None:
        return column.eq(value)
    expr = column.expr
    if column.kind == CI and column.eq is None:
        expr = func.lower(expr)
    if op.value in ("co", "sw", "ew"):
        if column.kind in (BOOL, ID, TIME):
            raise invalid_filter(f"'{op.value}' compares strings only.")
        return expr.like(_like(value, op.value), escape="\\")
    operations = {
        "eq": lambda: expr == value,
        "ne": lambda: or_(expr != value, expr.is_(None)),
        "gt": lambda: expr > value,
        "ge": lambda: expr >= value,
        "lt": lambda: expr < value,
        "le": lambda: expr <= value,
    }
    return operations[op.value]()


class FilterTranslator:
    """Turns a filter tree into a SQL condition with ``columns(attr, sub_attr)``, which names
    the column behind an attribute (lowercased names) or returns None for an unknown one."""

    def __init__(self, columns: Callable[[str, str | None], Column | None]):
        self.columns = columns

    def _column(self, attr_path, parent: str | None = None) -> Column:
        attr = (attr_path.attr or "").lower()
        sub = (attr_path.sub_attr or "").lower() or None
        if parent is not None:
            attr, sub = parent, attr
        column = self.columns(attr, sub)
        if column is None:
            name = f"{attr}.{sub}" if sub else attr
            raise invalid_filter(f"Filtering on {name!r} is not supported.")
        return column

    def translate(self, node: FilterNode, parent: str | None = None) -> ColumnElement:
        if isinstance(node, LogicalExpr):
            terms = [self.translate(term, parent) for term in node.terms]
            return and_(*terms) if node.op is LogicalOperator.and_ else or_(*terms)
        if isinstance(node, Not):
            return not_(self.translate(node.expr, parent))
        if isinstance(node, Present):
            column = self._column(node.attr_path, parent)
            present = column.expr.is_not(None)
            text_kinds = (CI, LOWER, EXACT)
            return and_(present, column.expr != "") if column.kind in text_kinds else present
        if isinstance(node, Comparison):
            return _compare(self._column(node.attr_path, parent), node.op, node.value)
        if isinstance(node, ValuePath):
            return self.translate(node.val_filter, parent=(node.attr_path.attr or "").lower())
        raise invalid_filter("This filter is not supported.")


# --- users ---------------------------------------------------------------------------------


def _user_name_eq(value: str) -> ColumnElement:
    # Two indexed lookups: a provisioned user's SCIM userName, or another user's username.
    return or_(
        User.scim_user_name == value,
        and_(User.scim_user_name.is_(None), User.username == value),
    )


def user_columns(attr: str, sub: str | None) -> Column | None:
    email = Column(User.email, LOWER)
    table = {
        ("id", None): Column(User.id, ID),
        ("username", None): Column(
            func.coalesce(User.scim_user_name, User.username), LOWER, eq=_user_name_eq
        ),
        ("displayname", None): Column(User.display_name, CI),
        ("externalid", None): Column(User.external_id, EXACT),
        ("active", None): Column(User.state == "active", BOOL),
        ("emails", None): email,
        ("emails", "value"): email,
        ("meta", "created"): Column(User.created_at, TIME),
    }
    if (attr, sub) == ("emails", "type"):  # one address, always the work one
        return Column(User.email, LOWER, eq=lambda v: User.email.is_not(None) & (v == "work"))
    if (attr, sub) == ("emails", "primary"):
        return Column(User.email, BOOL, eq=lambda v: User.email.is_not(None) == bool(v))
    return table.get((attr, sub))


def provisioned_users_query():
    """The users SCIM sees: people (not service accounts) not deleted through SCIM."""
    return select(User).where(User.kind == "user", User.scim_deprovisioned.is_(False))


def _team_roles_column():
    """The user's active teams as ``team_id=role,...`` in the same row (one query a page)."""
    role = func.coalesce(CustomRole.name, Membership.role)
    entry = cast(Membership.team_id, String) + "=" + role
    return (
        select(func.aggregate_strings(entry, ","))
        .select_from(Membership)
        .join(Team, Team.id == Membership.team_id)
        .outerjoin(CustomRole, CustomRole.id == Membership.custom_role_id)
        .where(Membership.user_id == User.id, Team.state == "active")
        .correlate(User)
        .scalar_subquery()
    )


def parse_team_roles(text: str | None) -> list[tuple[int, str]]:
    pairs = []
    for entry in (text or "").split(","):
        if entry:
            team_id, _, role = entry.partition("=")
            pairs.append((int(team_id), role))
    return sorted(pairs)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int


def _page(stmt, order_by, count_stmt, start_index: int, count: int) -> Page:
    """One query: the rows of the page with the total as a window count. Only a page past
    the end (or ``count=0``) costs a second, counting query."""
    offset = max(start_index, 1) - 1
    if count > 0:
        rows = db.session.execute(
            stmt.add_columns(func.count().over().label("scim_total"))
            .order_by(order_by)
            .offset(offset)
            .limit(count)
        ).all()
        if rows:
            return Page(items=[tuple(row)[:-1] for row in rows], total=rows[0][-1])
        if offset == 0:  # nothing matches (the usual answer to "does this user exist?")
            return Page(items=[], total=0)
    total = db.session.scalar(select(func.count()).select_from(count_stmt.subquery())) or 0
    return Page(items=[], total=total)


def user_page(node: FilterNode | None, start_index: int, count: int) -> Page:
    """Users matching ``node``, ordered by id: items are ``(User, team_roles)`` where
    team_roles is ``[(team_id, role name), ...]``. Raises ValidationFailed
    (``invalid_filter``) for attributes or comparisons Outpost cannot filter on."""
    base = provisioned_users_query()
    if node is not None:
        base = base.where(FilterTranslator(user_columns).translate(node))
    stmt = base.add_columns(_team_roles_column().label("team_roles"))
    page = _page(stmt, User.id, base, start_index, count)
    items = [(user, parse_team_roles(roles)) for user, roles in page.items]
    return Page(items=items, total=page.total)


def user_with_team_roles(user_id: str) -> tuple[User, list[tuple[int, str]]] | None:
    """One provisioned user by SCIM id with its teams and roles, in one query."""
    try:
        key = int(user_id)
    except ValueError:
        return None
    stmt = provisioned_users_query().where(User.id == key)
    row = db.session.execute(stmt.add_columns(_team_roles_column())).first()
    return (row[0], parse_team_roles(row[1])) if row else None


# --- teams ---------------------------------------------------------------------------------


def team_columns(attr: str, sub: str | None) -> Column | None:
    def member(value) -> ColumnElement:
        try:
            user_id = int(str(value))
        except ValueError:
            return false()
        return exists().where(Membership.team_id == Team.id, Membership.user_id == user_id)

    table = {
        ("id", None): Column(Team.id, ID),
        ("displayname", None): Column(Team.display_name, CI),
        ("externalid", None): Column(Team.external_id, EXACT),
        ("members", None): Column(Team.id, ID, eq=member),
        ("members", "value"): Column(Team.id, ID, eq=member),
        ("meta", "created"): Column(Team.created_at, TIME),
    }
    return table.get((attr, sub))


def provisioned_teams_query():
    return select(Team).where(Team.state == "active")


def team_page(node: FilterNode | None, start_index: int, count: int) -> Page:
    """Active teams matching ``node``, ordered by id (items are ``(Team,)``)."""
    base = provisioned_teams_query()
    if node is not None:
        base = base.where(FilterTranslator(team_columns).translate(node))
    return _page(base, Team.id, base, start_index, count)


def member_ids(team_ids: list[int]) -> dict[int, list[int]]:
    """``{team id: [user id, ...]}`` for a page of teams, in one query."""
    members: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
    if team_ids:
        rows = db.session.execute(
            select(Membership.team_id, Membership.user_id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.team_id.in_(team_ids), User.kind == "user")
            .order_by(Membership.user_id)
        )
        for team_id, user_id in rows:
            members[team_id].append(user_id)
    return members


def load_provisioned_team(team_id: str) -> Team | None:
    try:
        key = int(team_id)
    except ValueError:
        return None
    return db.session.scalar(provisioned_teams_query().where(Team.id == key))


# --- custom roles --------------------------------------------------------------------------


def role_columns(attr: str, sub: str | None) -> Column | None:
    table = {
        ("id", None): Column(CustomRole.id, ID),
        ("name", None): Column(CustomRole.name, LOWER),
        ("inheritedfrom", None): Column(CustomRole.base, LOWER),
        ("meta", "created"): Column(CustomRole.created_at, TIME),
    }
    return table.get((attr, sub))


def role_page(node: FilterNode | None, start_index: int, count: int) -> Page:
    base = select(CustomRole)
    if node is not None:
        base = base.where(FilterTranslator(role_columns).translate(node))
    return _page(base, CustomRole.id, base, start_index, count)


def load_role(role_id: str) -> CustomRole | None:
    try:
        return db.session.get(CustomRole, int(role_id))
    except ValueError:
        return None
