"""Audit recording: every state-changing service call and every sign-in attempt writes one row.

``record`` adds the event to the caller's transaction, so the event and the change commit or roll
back together. ``record_now`` commits at once, for outcomes with nothing else to commit (a
refused sign-in, a refused action).
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from ..models import AuditEvent


def _request_actor() -> tuple[Any, str | None]:
    """The signed-in principal and client address; ``(None, None)`` outside a request."""
    if not has_request_context():
        return None, None
    actor = current_user._get_current_object() if current_user else None
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return actor, request.remote_addr or ""


def record(
    action: str,
    *,
    target: Any = None,
    target_type: str = "",
    target_id: str = "",
    target_name: str = "",
    result: str = "success",
    team_id: int | None = None,
    actor: Any = None,
    actor_name: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction.

    ``target`` may be a model (its table, id and name are taken) or nothing; ``actor`` defaults
    to the signed-in principal, and to ``cli`` outside a request.
    """
    request_actor, ip = _request_actor()
    actor = actor or request_actor
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name or getattr(actor, "username", "") or ("cli" if ip is None else ""),
        actor_ip=ip or "",
        target_type=target_type or (getattr(target, "__tablename__", "") or "").rstrip("s"),
        target_id=target_id or str(getattr(target, "id", "") or ""),
        target_name=target_name or _name_of(target),
        team_id=team_id if team_id is not None else getattr(target, "team_id", None),
        result=result,
        details=details or {},
    )
    db.session.add(event)
    return event


def record_now(action: str, **kwargs: Any) -> None:
    """Record and commit at once (used for refusals, where the main transaction rolls back)."""
    record(action, **kwargs)
    db.session.commit()


def _name_of(target: Any) -> str:
    for attr in ("username", "slug", "name", "key_id"):
        value = getattr(target, attr, None)
        if value:
            return str(value)
    return ""
