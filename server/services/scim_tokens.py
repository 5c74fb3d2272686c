"""SCIM tokens: what an identity provider (Okta, Entra ID) authenticates with on ``/scim``.

A system admin creates one in the console or with ``outpost scim-tokens create NAME``; the full
token is shown once and stored as a token id plus a SHA-256 of its 256-bit secret (a fast hash is
as safe as a slow one for a random secret, as with API keys). A token acts only on the SCIM
endpoints, as the principal ``scim:<name>``, so every change it makes is audited under its name.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import select

from ..auth.principal import Principal
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import ScimToken
from ..models.base import utcnow
from . import audit

TOKEN_PREFIX = "scim_"
TOKEN_ID_LENGTH = len(TOKEN_PREFIX) + 12
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
LAST_USED_RESOLUTION = timedelta(minutes=1)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _validate_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise ValidationFailed(
            "SCIM token names are 1-64 letters, digits, spaces, '.', '_' or '-', starting with a "
            "letter or digit.",
            code="invalid_name",
        )
    return name


def list_tokens_query():
    return select(ScimToken).order_by(ScimToken.created_at.desc(), ScimToken.id.desc())


def create_token(name: str, *, created_by=None) -> tuple[ScimToken, str]:
    """Create a token; returns the row and the full token (shown once, never stored).

    Raises ValidationFailed for a bad name and Conflict (``scim_token_exists``) for a taken one.
    """
    name = _validate_name(name)
    if db.session.scalar(select(ScimToken.id).where(ScimToken.name == name)) is not None:
        raise Conflict(f"A SCIM token named {name!r} exists.", code="scim_token_exists")
    token_id = TOKEN_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(12))
    secret = secrets.token_urlsafe(32)
    token = ScimToken(
        name=name,
        token_id=token_id,
        secret_hash=_hash_secret(secret),
        created_by_id=getattr(created_by, "id", None),
    )
    db.session.add(token)
    db.session.flush()
    audit.record("scim_token:create", target=token, target_name=name, details={"id": token_id})
    db.session.commit()
    return token, f"{token_id}_{secret}"


def revoke_token(name: str) -> None:
    """Delete the token named ``name``: it stops working at once. Raises NotFound."""
    token = db.session.scalar(select(ScimToken).where(ScimToken.name == (name or "").strip()))
    if token is None:
        raise NotFound(f"No SCIM token named {name!r}.", code="scim_token_not_found")
    audit.record("scim_token:revoke", target=token, target_name=token.name)
    db.session.delete(token)
    db.session.commit()


def is_scim_token(raw: str) -> bool:
    return raw.strip().startswith(TOKEN_PREFIX)


def authenticate_token(raw: str) -> Principal | None:
    """The principal ``scim:<name>`` for a valid token, or None. One query; last-used is written
    at most once a minute."""
    raw = raw.strip()
    if len(raw) < TOKEN_ID_LENGTH + 2 or raw[TOKEN_ID_LENGTH] != "_":
        return None
    token_id, secret = raw[:TOKEN_ID_LENGTH], raw[TOKEN_ID_LENGTH + 1 :]
    tokens = ScimToken.__table__
    with db.engine.connect() as conn:
        row = conn.execute(select(tokens).where(tokens.c.token_id == token_id)).mappings().first()
        if row is None or not hmac.compare_digest(row["secret_hash"], _hash_secret(secret)):
            return None
        now = utcnow()
        if row["last_used_at"] is None or now - row["last_used_at"] >= LAST_USED_RESOLUTION:
            conn.execute(tokens.update().where(tokens.c.id == row["id"]).values(last_used_at=now))
            conn.commit()
    return scim_token_principal(row["name"], row["created_at"])


def scim_token_principal(name: str, created_at) -> Principal:
    """A principal for a SCIM token: an instance-wide provisioning identity, not a user.

    It has no user row (``id`` is None, so it is a member of no team) and is accepted only on
    the SCIM endpoints; there, ``authorize`` grants it the instance permission ``system:scim``.
    """
    return Principal(
        id=None,  # type: ignore[arg-type]
        username=f"scim:{name}",
        email=None,
        display_name=f"SCIM token {name}",
        kind="scim_token",
        state="active",
        system_admin=True,
        seat_type="full",
        session_version=0,
        created_at=created_at,
        last_active_at=None,
        auth_method="scim_token",
    )
