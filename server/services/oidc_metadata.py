"""The identity provider's discovery document and key set (JWKS), cached per issuer.

Every sign-in needs both; fetching them each time doubles the provider round trips and makes
an Outpost sign-in fail whenever the provider's discovery endpoint hiccups. Each worker keeps
them for what the provider's ``Cache-Control: max-age`` says, held within [60 s, 1 h]
(5 minutes when it says nothing). A token signed with a key the cached set does not have is
checked again after one fresh fetch of the set (Authlib asks for it), so key rotation keeps
working; so does a provider that names no key id, whose token is checked once more against a
fresh set when its signature does not match the cached one. Every fetch has connect and
read timeouts and follows no redirect.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.flask_client import FlaskOAuth2App
from flask import current_app
from joserfc.errors import BadSignatureError

DEFAULT_TTL = 300
MIN_TTL = 60
MAX_TTL = 3600
_MAX_AGE_RE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)
_EXTENSION = "outpost_oidc_metadata"


def cache_seconds(cache_control: str | None) -> int:
    """How long to keep a document served with ``cache_control``: its max-age within
    [MIN_TTL, MAX_TTL]; MIN_TTL for ``no-store``/``no-cache``; DEFAULT_TTL when unsaid."""
    value = (cache_control or "").lower()
    match = _MAX_AGE_RE.search(value)
    if match:
        return max(MIN_TTL, min(MAX_TTL, int(match.group(1))))
    if "no-store" in value or "no-cache" in value:
        return MIN_TTL
    return DEFAULT_TTL


@dataclass(frozen=True)
class _Entry:
    document: dict[str, Any]
    expires: float


class MetadataCache:
    """JSON documents by ``(issuer, url)``, each until its own expiry (one per worker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}

    def get(
        self, issuer: str, url: str, timeouts, *, force: bool = False
    ) -> tuple[dict[str, Any], bool]:
        """The document at ``url`` and whether it was fetched now (when absent, expired or
        ``force``d). Raises requests' errors (HTTPError for a non-2xx answer) and ValueError
        for a body that is not a JSON object."""
        key = (issuer, url)
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and not force and entry.expires > time.monotonic():
            return entry.document, False
        response = requests.get(url, timeout=timeouts, allow_redirects=False)
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict):
            raise ValueError(f"{url} did not answer with a JSON object")
        expires = time.monotonic() + cache_seconds(response.headers.get("Cache-Control"))
        with self._lock:
            self._entries[key] = _Entry(document, expires)
        return document, True

    def forget(self, issuer: str) -> None:
        """Drop what is kept for ``issuer`` (the console's Test fetches afresh anyway)."""
        with self._lock:
            for key in [key for key in self._entries if key[0] == issuer]:
                del self._entries[key]


def cache() -> MetadataCache:
    """This app's cache (an app per worker process, so a cache per worker)."""
    return current_app.extensions.setdefault(_EXTENSION, MetadataCache())


class CachedMetadataApp(FlaskOAuth2App):
    """Authlib's Flask client with the discovery document and JWKS read through the cache."""

    def __init__(self, *args, issuer: str, timeouts, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._issuer = issuer
        self._timeouts = timeouts
        self._fresh_keys = False

    def load_server_metadata(self) -> dict[str, Any]:
        if self._server_metadata_url and "_loaded_at" not in self.server_metadata:
            document, _ = cache().get(self._issuer, self._server_metadata_url, self._timeouts)
            self.server_metadata.update(document)
            self.server_metadata["_loaded_at"] = time.time()
        return self.server_metadata

    def fetch_jwk_set(self, force: bool = False) -> dict[str, Any]:
        """The provider's keys; ``force`` (a token names a key not in the set) fetches the
        set once more, which is how a rotated key is found."""
        uri = self.load_server_metadata().get("jwks_uri")
        if not uri:
            raise RuntimeError('Missing "jwks_uri" in metadata')
        jwk_set, self._fresh_keys = cache().get(self._issuer, uri, self._timeouts, force=force)
        self.server_metadata["jwks"] = jwk_set
        return jwk_set

    def parse_id_token(self, token, nonce, *args, **kwargs):
        """Authlib's check, tried once more with a fresh key set when the signature does not
        match a cached one: a provider that signs without a key id (``kid``) and rotated its
        only key looks like that."""
        try:
            return super().parse_id_token(token, nonce, *args, **kwargs)
        except BadSignatureError:
            if self._fresh_keys:
                raise
            self.fetch_jwk_set(force=True)
            return super().parse_id_token(token, nonce, *args, **kwargs)
