"""Factories for tests: users, API keys and request helpers, built through the services."""

from __future__ import annotations

import itertools
import re
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests

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


def make_service_account(team, name: str = "bot"):
    """A service account of ``team`` (member role), built directly (no license check)."""
    from server.extensions import db
    from server.models import Membership, User

    account = User(username=f"{team.slug}-{name}", kind="service_account", service_team_id=team.id)
    db.session.add(account)
    db.session.flush()
    db.session.add(Membership(team_id=team.id, user_id=account.id, role="member"))
    db.session.commit()
    return account


def make_project(team, name: str | None = None, *, visibility: str = "private", created_by=None):
    """A project of ``team`` built directly on the model."""
    from server.extensions import db
    from server.models import Project

    name = name or f"project{next(_counter)}"
    project = Project(
        team_id=team.id,
        name=name,
        display_name=name,
        visibility=visibility,
        created_by_id=created_by.id if created_by is not None else None,
    )
    db.session.add(project)
    db.session.commit()
    return project


def make_run(project, creator, run_id: str | None = None, **fields):
    """A running run in ``project`` owned (and logged) by ``creator``."""
    from server.extensions import db
    from server.models import Run

    run_id = run_id or f"run{next(_counter)}"
    run = Run(
        project_id=project.id,
        run_id=run_id,
        name=fields.pop("name", run_id),
        created_by_id=creator.id,
        logged_by_id=fields.pop("logged_by", creator).id,
        **fields,
    )
    db.session.add(run)
    db.session.commit()
    return run


def make_sweep(project, creator, sweep_id: str | None = None):
    """A random-search sweep in ``project`` owned by ``creator``."""
    from server.extensions import db
    from server.models import Sweep

    sweep_id = sweep_id or f"sweep{next(_counter)}"
    sweep = Sweep(
        project_id=project.id,
        sweep_id=sweep_id,
        name=sweep_id,
        config={"method": "random", "parameters": {"lr": {"values": [0.1, 0.01]}}},
        created_by_id=creator.id,
    )
    db.session.add(sweep)
    db.session.commit()
    return sweep


def make_report(project, author, title: str = "Findings", body: str = "# Findings"):
    """A report in ``project`` written by ``author``."""
    from server.extensions import db
    from server.models import Report

    report = Report(
        project_id=project.id,
        title=title,
        body=body,
        created_by_id=author.id,
        updated_by_id=author.id,
    )
    db.session.add(report)
    db.session.commit()
    return report


def presigned(app, method: str, url: str, *, data: bytes | None = None, headers=None):
    """Send a request to a pre-signed URL: the filesystem provider's URLs point at Outpost
    itself (sent to the app), others at the storage server (sent with ``requests``)."""
    if url.startswith(app.config["OUTPOST"].url):
        parts = urlsplit(url)
        response = app.test_client().open(
            f"{parts.path}?{parts.query}", method=method, data=data, headers=headers or {}
        )
        body = response.get_data()
        response.close()
        return response.status_code, body
    response = requests.request(method, url, data=data, headers=headers or {}, timeout=10)
    return response.status_code, response.content
