"""Who a new run belongs to (SPEC §3, service accounts and attribution).

A service account's client may name a person (``WANDB_USERNAME`` / ``WANDB_USER_EMAIL``); the
run is theirs when they are an active member of the service account's team, and the service
account's otherwise, with a warning saying why. A person's own key always logs as that person.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Membership, User

Notice = dict[str, str]


def _warning(code: str, message: str) -> Notice:
    return {"code": code, "message": message}


def _named_user(username: str | None, email: str | None) -> User | None:
    if username:
        return db.session.scalar(select(User).where(User.username == username.strip().lower()))
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def attribute_run(actor, username: str | None, email: str | None) -> tuple[int, list[Notice]]:
    """The user id the run is attributed to, and warnings for the response.

    ``username`` wins over ``email`` when both are given. Costs at most three queries.
    """
    named = (username or "").strip() or (email or "").strip()
    if not actor.is_service_account:
        if named and named.lower() not in (actor.username, (actor.email or "").lower()):
            return actor.id, [
                _warning(
                    "attribution_ignored",
                    f"Runs logged with a person's own API key belong to that person "
                    f"({actor.username}); {named!r} was ignored.",
                )
            ]
        return actor.id, []
    if not named:
        return actor.id, [
            _warning(
                "attributed_to_service_account",
                "No user was named (X-Wandb-Username or X-Wandb-User-Email, or username or "
                "user_email in the body), so the run is attributed to the service account.",
            )
        ]
    user = _named_user(username if username and username.strip() else None, email)
    reason = _refusal(actor, user, named)
    if reason is not None:
        return actor.id, [reason]
    return user.id, []


def _refusal(actor, user: User | None, named: str) -> Notice | None:
    """Why ``user`` cannot own a run sent by ``actor`` (a service account), or None."""
    suffix = "so the run is attributed to the service account."
    if user is None or user.is_service_account:
        return _warning("attribution_user_not_found", f"No user {named!r} exists, {suffix}")
    if not user.is_active:
        return _warning("attribution_user_inactive", f"User {named!r} is deactivated, {suffix}")
    team_id = db.session.scalar(select(User.service_team_id).where(User.id == actor.id))
    member = db.session.scalar(
        select(Membership.id).where(Membership.team_id == team_id, Membership.user_id == user.id)
    )
    if member is None:
        return _warning(
            "attribution_not_a_member",
            f"User {named!r} is not a member of the service account's team, {suffix}",
        )
    return None
