"""API keys: created with the full key shown once, stored as a key id plus a SHA-256 of the secret.

The secret is 256 random bits, so a fast hash is as safe as a slow one here and keeps key checks
cheap on every API request (password hashing is for low-entropy secrets).

Keys are ``op_<12 id chars>_<43 letters and digits>``: no ``-`` anywhere, because the W&B SDK
checks a key locally before sending it (the part after the first ``-``, or the whole key when it
has none, must be 40+ word characters). Keys minted before this rule (whose secret came from
``token_urlsafe`` and may hold ``-``) keep working: only the key id's shape is checked here.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
import string
from datetime import timedelta

from sqlalchemy import bindparam, select

from ..auth.principal import PRINCIPAL_COLUMNS, Principal
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import ApiKey, User
from ..models.base import utcnow
from . import activity, audit
from .profile import default_team_expression

KEY_PREFIX = "op_"
KEY_ID_LENGTH = len(KEY_PREFIX) + 12
LAST_USED_RESOLUTION = timedelta(minutes=1)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 43  # 43 × log2(62) ≈ 256 bits


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_key() -> tuple[str, str, str]:
    key_id = KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(12))
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    return key_id, secret, f"{key_id}_{secret}"


def _split_key(raw: str) -> tuple[str, str] | None:
    raw = raw.strip()
    if not raw.startswith(KEY_PREFIX) or len(raw) < KEY_ID_LENGTH + 2:
        return None
    if raw[KEY_ID_LENGTH] != "_":
        return None
    return raw[:KEY_ID_LENGTH], raw[KEY_ID_LENGTH + 1 :]


def create_key(user, name: str, *, by_operator: bool = False) -> tuple[ApiKey, str]:
    """Create a key for ``user``; returns the row and the full key (shown once, never stored).

    Raises ValidationFailed for a bad name, Forbidden for viewer seats, deactivated users and
    (users only) while key creation is disabled, unless ``by_operator`` (the server CLI,
    used by deploy recipes on the host itself).
    """
    name = (name or "").strip()
    if not name or len(name) > 128:
        raise ValidationFailed("Give the key a name of 1-128 characters.", code="invalid_name")
    if user.seat_type == "viewer":
        raise Forbidden("Viewer seats have no API keys.", code="viewer_seat")
    if not by_operator and not user.is_service_account and key_creation_disabled():
        raise Forbidden(
            "Creating API keys is turned off on this instance (system setting "
            "disable_api_key_creation); existing keys keep working. Ask a system admin.",
            code="api_key_creation_disabled",
        )
    if not user.is_active:
        raise Forbidden("Deactivated users cannot get API keys.", code="account_deactivated")
    key_id, secret, full_key = _new_key()
    key = ApiKey(key_id=key_id, name=name, secret_hash=_hash_secret(secret), user_id=user.id)
    db.session.add(key)
    db.session.flush()
    audit.record("api_key:create", target=key, target_name=key_id, details={"name": name})
    db.session.commit()
    return key, full_key


def key_creation_disabled() -> bool:
    """True while the ``disable_api_key_creation`` system setting stops users (not service
    accounts, whose keys team admins make) from creating keys."""
    from .system_settings import get_setting

    return bool(get_setting("disable_api_key_creation"))


def list_keys_query(user):
    return select(ApiKey).where(ApiKey.user_id == user.id)


def delete_key(user, key_id: str) -> None:
    """Revoke at once. Raises NotFound when the user has no such key."""
    key = db.session.scalar(
        select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.key_id == key_id)
    )
    if key is None:
        raise NotFound(f"No API key {key_id!r}.", code="api_key_not_found")
    audit.record("api_key:delete", target=key, target_name=key.key_id)
    db.session.delete(key)
    db.session.commit()


@functools.cache
def _auth_statement(with_default_team: bool = False):
    """Key and owner in one query, built once (with a bound parameter) and reused; with
    ``with_default_team`` the owner's default team too (what ``GET /viewer`` answers)."""
    users, keys = User.__table__, ApiKey.__table__
    extra = [default_team_expression(users.c.id).label("default_team")] if with_default_team else []
    return (
        select(
            keys.c.id.label("key_pk"),
            keys.c.secret_hash,
            keys.c.last_used_at.label("key_used"),
            *(users.c[name] for name in PRINCIPAL_COLUMNS),
            *extra,
        )
        .join_from(keys, users, keys.c.user_id == users.c.id)
        .where(keys.c.key_id == bindparam("key_id"))
    )


def authenticate_key(raw: str, *, with_default_team: bool = False) -> Principal | None:
    """The active owner of a valid key, or None. One query; last-used is written at most once
    a minute per key. ``with_default_team`` reads the owner's default team in that query."""
    parts = _split_key(raw)
    if parts is None:
        return None
    key_id, secret = parts
    keys = ApiKey.__table__
    # The request's own connection: one pool checkout per request, and what the view reads
    # next goes over the same connection.
    conn = db.session.connection()
    row = conn.execute(_auth_statement(with_default_team), {"key_id": key_id}).mappings().first()
    if row is None or not hmac.compare_digest(row["secret_hash"], _hash_secret(secret)):
        return None
    if row["state"] != "active":
        return None
    now = utcnow()
    if row["key_used"] is None or now - row["key_used"] >= LAST_USED_RESOLUTION:
        conn.execute(keys.update().where(keys.c.id == row["key_pk"]).values(last_used_at=now))
        activity.mark_active(
            row["id"], row["last_active_at"], kind=row["kind"], now=now, connection=conn
        )
        db.session.commit()
    return Principal.from_row(row, auth_method="api_key")


def authenticate_header(
    header: str, *, with_default_team: bool = False
) -> tuple[Principal | None, str | None]:
    """Read ``Bearer <key>`` or HTTP Basic with the key as password (any user name).

    Returns the principal and, when the credentials are present but wrong, an error message.
    """
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        raw = value.strip()
    elif scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, "Malformed Basic credentials."
        raw = decoded.partition(":")[2]
    else:
        return None, "Use 'Authorization: Bearer <API key>'."
    user = authenticate_key(raw, with_default_team=with_default_team)
    if user is None:
        return None, "Invalid, deleted or disabled API key."
    return user, None
