"""The OpenID Connect relying party: its settings, the Authlib client, and the token exchange.

Authlib's Flask client does the protocol work: discovery from the issuer, ``state`` and
``nonce`` kept in the session, PKCE (S256), and the ID token's signature checked against the
provider's JWKS (fetched again when a token names an unknown key, which is how key rotation
works), with ``iss``, ``aud``, ``exp`` and ``iat`` checked with a small clock tolerance. The
discovery document and the JWKS are cached per issuer (:mod:`.oidc_metadata`).

The client is built per request from the effective system settings (an admin may change them
in the console at any time); every outbound call has connect and read timeouts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskIntegration
from flask import current_app, url_for
from joserfc.errors import JoseError

from ..errors import OutpostError
from .oidc_metadata import CachedMetadataApp
from .oidc_metadata import cache as metadata_cache
from .system_settings import get_setting

CLIENT_NAME = "oidc"
# Seconds of clock difference tolerated between Outpost and the provider for exp/iat/nbf.
CLOCK_LEEWAY = 60
DISCOVERY_PATH = "/.well-known/openid-configuration"


class SsoRefused(OutpostError):
    """A single sign-on attempt that cannot go on; ``reason`` is what the audit log records."""

    status, code = 401, "sso_refused"

    def __init__(self, message: str, *, reason: str, status: int | None = None) -> None:
        super().__init__(message, code="sso_refused")
        self.reason = reason
        if status:
            self.status = status


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    username_claim: str
    button_label: str
    auto_provision: bool


def current_settings() -> OidcSettings | None:
    """The effective OIDC settings, or None when SSO is not configured (no issuer or client)."""
    issuer = (get_setting("oidc_issuer") or "").strip().rstrip("/")
    client_id = (get_setting("oidc_client_id") or "").strip()
    if not issuer or not client_id:
        return None
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=get_setting("oidc_client_secret") or "",
        scopes=get_setting("oidc_scopes") or "openid email profile",
        username_claim=get_setting("oidc_username_claim") or "preferred_username",
        button_label=get_setting("oidc_button_label") or "Sign in with SSO",
        auto_provision=bool(get_setting("oidc_auto_provision")),
    )


def button_label() -> str | None:
    """The sign-in page's SSO button text, or None when SSO is not configured."""
    settings = current_settings()
    return settings.button_label if settings else None


def issuer_problem(issuer: str) -> str | None:
    """Why ``issuer`` cannot be used, in words, or None."""
    if issuer.startswith("https://"):
        return None
    if issuer.startswith("http://"):
        if current_app.config["OUTPOST"].env == "production":
            return (
                "The issuer uses http://, which is accepted only outside production: "
                "use the provider's https:// issuer URL."
            )
        return None
    return "The issuer must be an https:// URL."


def _timeouts() -> tuple[float, float]:
    timeout = current_app.config["OUTPOST"].outbound_timeout
    return (min(timeout, 5.0), timeout)


def _client(settings: OidcSettings) -> CachedMetadataApp:
    problem = issuer_problem(settings.issuer)
    if problem:
        raise SsoRefused(problem, reason="insecure_issuer", status=503)
    client_kwargs: dict[str, Any] = {
        "scope": settings.scopes,
        "code_challenge_method": "S256",
        "default_timeout": _timeouts(),
        # A public client (no secret) identifies itself by client_id and proves PKCE.
        "token_endpoint_auth_method": "client_secret_basic" if settings.client_secret else "none",
    }
    return CachedMetadataApp(
        FlaskIntegration(CLIENT_NAME),
        issuer=settings.issuer,
        timeouts=_timeouts(),
        name=CLIENT_NAME,
        client_id=settings.client_id,
        client_secret=settings.client_secret or None,
        server_metadata_url=settings.issuer + DISCOVERY_PATH,
        client_kwargs=client_kwargs,
    )


def _unreachable(settings: OidcSettings, exc: Exception) -> SsoRefused:
    return SsoRefused(
        f"The identity provider at {settings.issuer} cannot be reached right now "
        f"({type(exc).__name__}). Try again later, or ask an admin to check the sign-in settings.",
        reason="provider_unreachable",
        status=502,
    )


def _require_settings() -> OidcSettings:
    settings = current_settings()
    if settings is None:
        raise SsoRefused(
            "Single sign-on is not configured on this server.", reason="not_configured", status=404
        )
    return settings


def public_url(endpoint: str) -> str:
    """``endpoint``'s address under OUTPOST_URL, the address the provider's client is
    registered with (the request's own host may be an internal one behind a proxy)."""
    return current_app.config["OUTPOST"].url.rstrip("/") + url_for(endpoint)


def callback_url() -> str:
    return public_url("console.oidc_callback")


def start_sign_in():
    """The redirect to the provider's authorization endpoint (state, nonce and PKCE verifier
    are kept in the session). Raises SsoRefused when the provider cannot be reached."""
    settings = _require_settings()
    client = _client(settings)
    try:
        return client.authorize_redirect(callback_url(), nonce=_nonce())
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        raise _unreachable(settings, exc) from None


def _nonce() -> str:
    from authlib.common.security import generate_token

    return generate_token(32)


def finish_sign_in() -> tuple[str, dict[str, Any], str | None]:
    """Exchange the callback's code and verify the ID token.

    Returns ``(issuer, claims, id_token)``. Raises SsoRefused with a reason for a state
    mismatch, an error from the provider, a refused code, an invalid ID token or a provider
    that cannot be reached.
    """
    settings = _require_settings()
    client = _client(settings)
    try:
        token = client.authorize_access_token(leeway=CLOCK_LEEWAY)
    except MismatchingStateError:
        raise SsoRefused(
            "This sign-in link is not valid any more (it was used already or started in "
            "another browser). Start again from the sign-in page.",
            reason="state_mismatch",
            status=400,
        ) from None
    except OAuthError as exc:
        raise SsoRefused(
            f"The identity provider refused the sign-in: {exc.description or exc.error}.",
            reason=f"provider_error:{exc.error}",
        ) from None
    except JoseError as exc:
        raise _bad_token(exc) from None
    except requests.HTTPError as exc:
        raise SsoRefused(
            f"The identity provider answered with an error ({exc.response.status_code}).",
            reason="provider_error",
            status=502,
        ) from None
    except (requests.RequestException, ValueError) as exc:
        raise _unreachable(settings, exc) from None
    claims = token.get("userinfo")
    if not claims:
        raise SsoRefused(
            "The identity provider sent no ID token: check that the 'openid' scope is requested.",
            reason="no_id_token",
        )
    issuer = client.load_server_metadata().get("issuer") or settings.issuer
    return issuer, dict(claims), token.get("id_token")


def _bad_token(exc: JoseError) -> SsoRefused:
    detail = getattr(exc, "description", "") or exc.error
    return SsoRefused(
        f"The identity provider's ID token was not accepted ({detail}). If this keeps "
        "happening, ask an admin to check the sign-in settings and the server's clock.",
        reason=f"invalid_id_token:{exc.error}",
    )


def logout_url(id_token: str | None, post_logout_redirect_uri: str) -> str | None:
    """The provider's end-session URL (RP-initiated logout), or None when it has none."""
    settings = current_settings()
    if settings is None or issuer_problem(settings.issuer):
        return None
    client = _client(settings)
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError):
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    return client.create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri,
        id_token_hint=id_token,
        client_id=settings.client_id,
    )["url"]


def _fetch_json(url: str, what: str, problems: list[str]) -> dict[str, Any] | None:
    try:
        response = requests.get(url, timeout=_timeouts(), allow_redirects=False)
    except requests.Timeout:
        problems.append(f"The {what} at {url} did not answer in time.")
        return None
    except requests.RequestException as exc:
        problems.append(f"The {what} at {url} cannot be reached ({type(exc).__name__}).")
        return None
    if response.status_code != 200:
        problems.append(f"The {what} at {url} answered HTTP {response.status_code}, not 200.")
        return None
    try:
        body = response.json()
    except ValueError:
        problems.append(f"The {what} at {url} is not JSON.")
        return None
    if not isinstance(body, dict):
        problems.append(f"The {what} at {url} is not a JSON object.")
        return None
    return body


def check_provider() -> tuple[list[str], list[str]]:
    """Fetch the discovery document (and the JWKS) of the configured issuer; returns
    ``(problems, facts)`` in words for the console's "Test" button."""
    settings = current_settings()
    if settings is None:
        return ["Set both the issuer URL and the client ID first."], []
    problem = issuer_problem(settings.issuer)
    if problem:
        return [problem], []
    metadata_cache().forget(settings.issuer)  # the next sign-in uses what this finds
    problems: list[str] = []
    url = settings.issuer + DISCOVERY_PATH
    metadata = _fetch_json(url, "discovery document", problems)
    if metadata is None:
        problems.append(
            "Check the issuer URL: it is the provider's issuer without the "
            "/.well-known part (Keycloak: https://HOST/realms/REALM; Okta: https://ORG.okta.com)."
        )
        return problems, []
    if metadata.get("issuer") != settings.issuer:
        problems.append(
            f"The discovery document names the issuer {metadata.get('issuer')!r}, but the "
            f"setting says {settings.issuer!r}: ID tokens would be refused. Use exactly the "
            "provider's issuer."
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not metadata.get(key):
            problems.append(f"The discovery document has no {key}.")
    methods = metadata.get("code_challenge_methods_supported")
    if methods is not None and "S256" not in methods:
        problems.append("The provider does not offer PKCE with S256, which Outpost uses.")
    facts = [f"Discovery document found at {url}."]
    if metadata.get("jwks_uri"):
        jwks = _fetch_json(metadata["jwks_uri"], "key set (JWKS)", problems)
        if jwks is not None and not jwks.get("keys"):
            problems.append("The provider's key set (JWKS) has no keys.")
        elif jwks is not None:
            facts.append(f"The provider publishes {len(jwks['keys'])} signing key(s).")
    if metadata.get("end_session_endpoint"):
        facts.append("Signing out of Outpost also signs out of the provider.")
    facts.append(f"Register this redirect URI at the provider: {callback_url()}")
    return problems, facts
