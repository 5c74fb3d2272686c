"""Helpers for single sign-on tests: walk the OpenID Connect flow with the Flask test client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent


def start(client, next_path: str | None = None) -> str:
    """Open /login/oidc; returns the provider's authorization URL it redirects to."""
    response = client.get("/login/oidc", query_string={"next": next_path} if next_path else None)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def finish(client, callback_url: str):
    """Follow the provider's redirect back to Outpost's callback."""
    parts = urlsplit(callback_url)
    assert parts.path == "/login/oidc/callback"
    return client.get(f"{parts.path}?{parts.query}")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def with_query(callback_url: str, **changes: str) -> str:
    from urllib.parse import urlencode

    parts = urlsplit(callback_url)
    params = {**query(callback_url), **changes}
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(params)}"


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def login_events() -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(("user:login", "sso:link", "sso:provision")))
            .order_by(AuditEvent.id)
        )
    )


def refusal_reasons() -> list[str]:
    return [
        e.details.get("reason", "")
        for e in login_events()
        if e.action == "user:login" and e.result == "failure"
    ]
