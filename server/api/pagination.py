"""Cursor pagination for every list: ``?cursor=...&limit=N`` in, ``next_cursor`` out (the
paging itself is :mod:`server.services.pagination`, shared with the other doors)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..services.pagination import Page, decode_cursor, encode_cursor, paginate

__all__ = [
    "MAX_LIMIT",
    "Page",
    "PageQuery",
    "decode_cursor",
    "encode_cursor",
    "page_response",
    "paginate",
]

MAX_LIMIT = 200


class PageQuery(BaseModel):
    cursor: str | None = Field(default=None, description="Opaque cursor from `next_cursor`.")
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT, description="Items per page (1-200).")


def page_response(page: Page, serialise) -> dict[str, Any]:
    return {"items": [serialise(item) for item in page.items], "next_cursor": page.next_cursor}
