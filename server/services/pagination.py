"""Cursor pagination shared by every door: a page of rows ordered by a unique column.

Cursors are opaque (URL-safe base64 of the last row's sort key), stable under inserts and cost
one indexed range query per page.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, Select

from ..errors import ValidationFailed
from ..extensions import db


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("The cursor is not valid.", code="invalid_cursor") from None


def _check_position(column, value: Any) -> Any:
    """A decoded cursor holds a value of ``column``: anything else (another type, an integer
    the column cannot hold) did not come from us and would fail in the database."""
    if isinstance(column.type, Integer):
        bits = 63 if isinstance(column.type, BigInteger) else 31
        valid = type(value) is int and -(2**bits) <= value < 2**bits
    else:
        valid = isinstance(value, column.type.python_type)
    if not valid:
        raise ValidationFailed("The cursor is not valid.", code="invalid_cursor")
    return value


def paginate(
    stmt: Select, column, *, cursor: str | None, limit: int, descending: bool = False
) -> Page:
    """One page of ``stmt`` ordered by the unique ``column`` (usually the primary key)."""
    if cursor:
        last = _check_position(column, decode_cursor(cursor))
        stmt = stmt.where(column < last if descending else column > last)
    stmt = stmt.order_by(column.desc() if descending else column.asc()).limit(limit + 1)
    rows = list(db.session.scalars(stmt).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        next_cursor = encode_cursor(getattr(rows[-1], column.key))
    return Page(items=rows, next_cursor=next_cursor)
