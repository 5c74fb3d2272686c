"""Filters on 10,000 users are answered by one SQL query that uses an index, never by
loading users into Python."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, text

from server.extensions import db
from server.models import User
from server.models.base import utcnow
from tests.scim.helpers import new_token, scim_headers

USERS = 10_000


@pytest.fixture
def many_users(app):
    now = utcnow()
    rows = [
        {
            "username": f"u{n}",
            "email": f"u{n}@example.com",
            "scim_user_name": f"u{n}@example.com",
            "external_id": f"ext-{n}",
            "display_name": f"User {n}",
            "kind": "user",
            "state": "active",
            "system_admin": False,
            "seat_type": "full",
            "session_version": 1,
            "created_at": now,
            "scim_deprovisioned": False,
        }
        for n in range(USERS)
    ]
    db.session.execute(insert(User), rows)
    db.session.commit()
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        db.session.execute(text("ANALYZE users"))
        db.session.commit()
    yield
    if postgres:
        # The tables are emptied after every test row by row; on PostgreSQL each of these
        # users would fire a foreign-key check per referencing table (seconds per test).
        db.session.remove()
        db.session.execute(text("TRUNCATE users CASCADE"))
        db.session.commit()


class Statements:
    """The SQL statements the application runs while the block is open."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append((statement, parameters))

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def about_users(self):
        return [(s, p) for s, p in self.seen if "users" in s and "scim_tokens" not in s]


def _plan(statement: str, parameters) -> str:
    with db.engine.connect() as conn:
        prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
        cursor = conn.connection.cursor()
        cursor.execute(prefix + statement, parameters)
        return "\n".join(" ".join(str(col) for col in row) for row in cursor.fetchall())


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('userName eq "u7777@example.com"', "u7777@example.com"),
        ('emails eq "U4242@example.com"', "u4242@example.com"),
        ('externalId eq "ext-9999"', "u9999@example.com"),
        ('emails.value eq "u1@example.com" and active eq true', "u1@example.com"),
        ('userName eq "nobody@example.com"', None),  # the lookup before a creation
    ],
)
def test_filter_is_one_indexed_query(app, client, many_users, expression, expected):
    headers = scim_headers(new_token())
    with Statements(db.engine) as statements:
        response = client.get(
            "/scim/v2/Users", query_string={"filter": expression}, headers=headers
        )
    assert response.status_code == 200, response.json
    assert [r["userName"] for r in response.json["Resources"]] == ([expected] if expected else [])
    assert response.json["totalResults"] == (1 if expected else 0)
    queries = statements.about_users()
    assert len(queries) == 1, queries
    plan = _plan(*queries[0])
    assert (
        "SCAN users" not in plan.replace("SCAN users USING", "") and "Seq Scan on users" not in plan
    ), plan


def test_a_page_of_a_large_listing_is_one_query(app, client, many_users):
    headers = scim_headers(new_token())
    with Statements(db.engine) as statements:
        response = client.get("/scim/v2/Users?startIndex=9001&count=100", headers=headers)
    assert response.json["totalResults"] == USERS
    assert len(response.json["Resources"]) == 100
    assert response.json["Resources"][0]["userName"] == "u9000@example.com"
    assert len(statements.about_users()) == 1
