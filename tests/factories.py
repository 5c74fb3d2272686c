"""Factories for tests: users, API keys and request helpers, built through the services."""

from __future__ import annotations

import itertools
import re
from contextlib import contextmanager

from server.services import api_keys as key_service
from server.services import users as user_service

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_user(username: str | None = None, **kwargs):
    """An active user (created through the same service the API uses)."""
    n = next(_counter)
    username = username or f"user{n}"
    email = kwargs.pop("email", f"{username}@example.test")
    password = kwargs.pop("password", PASSWORD)
    return user_service.create_user(username, email, password, **kwargs)


def make_key(user, name: str = "test key") -> str:
    """A new API key for ``user``; returns the full key."""
    return key_service.create_key(user, name)[1]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client, login: str, password: str = PASSWORD):
    """Sign in through the real form, CSRF token included; returns the response."""
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token})


def make_team(slug: str | None = None, *, admins=(), members=(), viewers=(), **kwargs):
    """An active team with the given admins, members and view-only members (User objects).

    Built directly on the models so data-plane tests need not go through the teams API.
    """
    from server.extensions import db
    from server.models import Membership, Team

    n = next(_counter)
    team = Team(slug=slug or f"team{n}", display_name=kwargs.pop("display_name", ""), **kwargs)
    db.session.add(team)
    db.session.flush()
    for role, users in (("admin", admins), ("member", members), ("view-only", viewers)):
        for user in users:
            db.session.add(Membership(team_id=team.id, user_id=user.id, role=role))
    db.session.commit()
    return team


def add_member(team, user, role: str = "member", *, registry_admin: bool = False, custom_role=None):
    """Add ``user`` to ``team`` directly (no license or API checks)."""
    from server.extensions import db
    from server.models import Membership

    membership = Membership(
        team_id=team.id,
        user_id=user.id,
        role="custom" if custom_role is not None else role,
        custom_role_id=custom_role.id if custom_role is not None else None,
        registry_admin=registry_admin,
    )
    db.session.add(membership)
    db.session.commit()
    return membership


@contextmanager
def count_queries():
    """Count the SQL statements run inside the block: ``with count_queries() as seen: ...``."""
    from sqlalchemy import event

    from server.extensions import db

    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
