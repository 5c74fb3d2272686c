"""Plain-dict views of models for JSON responses. Secrets never appear here."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def user_dict(user) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "kind": user.kind,
        "state": user.state,
        "system_admin": user.system_admin,
        "seat_type": user.seat_type,
        "created_at": iso(user.created_at),
        "last_active_at": iso(user.last_active_at),
    }


def api_key_dict(key) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "name": key.name,
        "created_at": iso(key.created_at),
        "last_used_at": iso(key.last_used_at),
    }
