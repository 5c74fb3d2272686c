"""Service accounts: non-human principals of one team, authenticating only with API keys."""

from __future__ import annotations

from sqlalchemy import select

from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import ApiKey, Membership, Team, User
from . import api_keys, audit
from .licensing import require_feature
from .users import validate_username


def _username(team: Team, name: str) -> str:
    return validate_username(f"{team.slug}-{name}")


def service_accounts_query(team: Team):
    return select(User).where(User.kind == "service_account", User.service_team_id == team.id)


def load_service_account(team: Team, name: str) -> User:
    account = db.session.scalar(
        service_accounts_query(team).where(User.username == _username(team, name))
    )
    if account is None:
        raise NotFound(
            f"No service account {name!r} in {team.slug}.", code="service_account_not_found"
        )
    return account


def create_service_account(team: Team, name: str, description: str = "") -> tuple[User, str]:
    """Create the account (member role in its team, no seat) and its first API key.

    Returns the account and the full key, shown once. Raises Forbidden without the
    ``service_accounts`` license feature, Conflict when the name is taken.
    """
    require_feature("service_accounts")
    username = _username(team, name)
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"The name {username!r} is taken.", code="service_account_exists")
    account = User(
        username=username,
        email=None,
        display_name=description or name,
        kind="service_account",
        state="active",
        seat_type="full",
        service_team_id=team.id,
    )
    db.session.add(account)
    db.session.flush()
    db.session.add(Membership(team_id=team.id, user_id=account.id, role="member"))
    audit.record("service_account:create", target=account, team_id=team.id)
    db.session.commit()
    _, full_key = api_keys.create_key(account, f"{name} key")
    return account, full_key


def delete_service_account(account: User) -> None:
    """Revoke the account: its keys stop working at once; what it logged stays."""
    account.state = "deactivated"
    account.username = f"{account.username}-deleted-{account.id}"[:64]  # frees the name
    db.session.query(ApiKey).filter(ApiKey.user_id == account.id).delete()
    db.session.query(Membership).filter(Membership.user_id == account.id).delete()
    audit.record("service_account:delete", target=account, team_id=account.service_team_id)
    db.session.commit()
