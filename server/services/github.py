"""Personal GitHub connection: a signed-in user links their GitHub account through OAuth.

Authlib's Flask client does the authorization code exchange (``state`` kept in the session);
the endpoints are settings, so GitHub Enterprise Server works the same. The access token is
sealed at rest (secret_box) and never shown again; the linked login is shown on the profile.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import current_app, url_for
from sqlalchemy import select

from ..errors import OutpostError
from ..extensions import db
from ..models import GithubConnection, User
from . import audit
from .secret_box import seal
from .system_settings import get_setting

CLIENT_NAME = "github"


class GithubRefused(OutpostError):
    status, code = 400, "github_refused"


def is_configured() -> bool:
    return bool((get_setting("github_client_id") or "").strip())


def web_url() -> str:
    """GitHub's web address (``https://github.com``, or the Enterprise server's)."""
    parts = urlsplit(get_setting("github_authorize_url") or "https://github.com")
    return f"{parts.scheme}://{parts.netloc}"


def connection_of(user_id: int) -> GithubConnection | None:
    return db.session.scalar(select(GithubConnection).where(GithubConnection.user_id == user_id))


def _client() -> FlaskOAuth2App:
    if not is_configured():
        raise GithubRefused("GitHub is not set up on this server.", code="github_not_configured")
    timeout = current_app.config["OUTPOST"].outbound_timeout
    return FlaskOAuth2App(
        FlaskIntegration(CLIENT_NAME),
        name=CLIENT_NAME,
        client_id=get_setting("github_client_id").strip(),
        client_secret=get_setting("github_client_secret") or None,
        authorize_url=get_setting("github_authorize_url"),
        access_token_url=get_setting("github_token_url"),
        api_base_url=get_setting("github_api_url").rstrip("/") + "/",
        client_kwargs={"scope": "read:user", "default_timeout": (min(timeout, 5.0), timeout)},
    )


def start_connect():
    """The redirect to GitHub's authorization page."""
    base = current_app.config["OUTPOST"].url.rstrip("/")  # the OAuth app's registered address
    return _client().authorize_redirect(base + url_for("console.github_callback"))


def _unreachable(exc: Exception) -> GithubRefused:
    error = GithubRefused(
        f"GitHub cannot be reached right now ({type(exc).__name__}). Try again later.",
        code="github_unreachable",
    )
    error.status = 502
    return error


def _fetch_account(client: FlaskOAuth2App, token: dict[str, Any]) -> dict[str, Any]:
    response = client.get("user", token=token)
    response.raise_for_status()
    account = response.json()
    if not isinstance(account, dict) or not account.get("login") or not account.get("id"):
        raise ValueError("no login in GitHub's answer")
    return account


def finish_connect(user: User) -> GithubConnection:
    """Exchange GitHub's code, read the account, and store the connection.

    Raises GithubRefused for a denied authorization, a state mismatch, a refused code or an
    unreachable GitHub; nothing is stored then.
    """
    client = _client()
    try:
        token = client.authorize_access_token()
        account = _fetch_account(client, token)
    except MismatchingStateError:
        raise GithubRefused(
            "This GitHub connection link is not valid any more. Start again from your profile.",
            code="github_state_mismatch",
        ) from None
    except OAuthError as exc:
        message = (
            "You did not allow Outpost to see your GitHub account."
            if exc.error == "access_denied"
            else f"GitHub refused the connection: {exc.description or exc.error}."
        )
        raise GithubRefused(message, code="github_denied") from None
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise _unreachable(exc) from None
    connection = connection_of(user.id) or GithubConnection(user_id=user.id)
    connection.github_login = str(account["login"])[:100]
    connection.github_id = int(account["id"])
    connection.token_sealed = seal({"access_token": str(token.get("access_token", ""))})
    db.session.add(connection)
    audit.record("github:connect", target=user, details={"github_login": connection.github_login})
    db.session.commit()
    return connection


def disconnect(user: User) -> None:
    """Forget the connection and its token (revoke the grant at GitHub too, under Settings ›
    Applications, to be thorough)."""
    connection = connection_of(user.id)
    if connection is None:
        return
    audit.record(
        "github:disconnect", target=user, details={"github_login": connection.github_login}
    )
    db.session.delete(connection)
    db.session.commit()
