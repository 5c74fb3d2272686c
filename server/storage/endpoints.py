"""Endpoint allowlist for bring-your-own-bucket connections.

Checked before a provider object exists, so a refused endpoint never receives a request.

Pattern forms (case-insensitive):

* ``s3.amazonaws.com`` – that host, on the default port of the endpoint's scheme;
* ``*.amazonaws.com`` – any host *below* that domain (not the domain itself), default port;
* ``127.0.0.1:9000`` / ``minio.internal:9000`` – that host and that port;
* ``https://minio.corp:9443`` – additionally requires that scheme.

Endpoints may be given with or without a scheme (``https`` is assumed) and must not carry user
info, a path, a query or a fragment.

Uploaded credentials carry URLs too (a service-account JSON's ``token_uri`` is POSTed to on the
first request; ``universe_domain`` moves the API host). :func:`check_connection_allowed` checks
every one of them against the same allowlist before a provider exists. Google's own sign-in hosts
count as allowed wherever Google Cloud Storage itself is.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import EndpointNotAllowed, StorageConfigError

DEFAULT_PORTS = {"http": 80, "https": 443}
GCS_DEFAULT_ENDPOINT = "https://storage.googleapis.com"
# Where Google's service-account JSON files point (token, auth, certificates, STS, IAM).
GOOGLE_CREDENTIAL_HOSTS = frozenset(
    {
        "oauth2.googleapis.com",
        "accounts.google.com",
        "www.googleapis.com",
        "sts.googleapis.com",
        "iamcredentials.googleapis.com",
    }
)
GOOGLE_UNIVERSE = "googleapis.com"


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == DEFAULT_PORTS[self.scheme]:
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"


def parse_endpoint(endpoint: str) -> Endpoint:
    """Parse ``endpoint`` into scheme, host and port; raise EndpointNotAllowed if malformed."""
    text = (endpoint or "").strip()
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        port = parts.port
        hostname = parts.hostname
    except ValueError:  # an unclosed or invalid [IPv6] host, a port out of range
        parts, port, hostname = None, -1, None
    bad = (
        parts is None
        or parts.scheme not in DEFAULT_PORTS
        or not hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or port == -1
    )
    if bad:
        raise EndpointNotAllowed(
            f"Storage endpoint {endpoint!r} is not a plain http(s)://host[:port] address."
        )
    host = hostname.lower().rstrip(".")
    return Endpoint(parts.scheme, host, port or DEFAULT_PORTS[parts.scheme])


def default_endpoint(provider: str, region: str | None = None) -> str:
    """The public endpoint a provider talks to when no endpoint is configured."""
    if provider == "gcs":
        return GCS_DEFAULT_ENDPOINT
    if not region:
        return "https://s3.amazonaws.com"
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://s3.{region}.{domain}"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class _Pattern:
    scheme: str | None
    host: str
    port: int | None
    wildcard: bool


def _parse_pattern(pattern: str) -> _Pattern | None:
    text = pattern.strip().lower()
    scheme, _, rest = text.rpartition("://")
    wildcard = rest.startswith("*.")
    body = rest[2:] if wildcard else rest
    try:
        parsed = parse_endpoint(f"{scheme or 'https'}://{body}")
    except EndpointNotAllowed:
        return None
    port = urlsplit(f"//{body}").port
    return _Pattern(scheme or None, parsed.host, port, wildcard)


def _pattern_matches(pattern: _Pattern, endpoint: Endpoint) -> bool:
    if pattern.scheme and pattern.scheme != endpoint.scheme:
        return False
    if endpoint.port != (pattern.port or DEFAULT_PORTS[endpoint.scheme]):
        return False
    if pattern.wildcard:
        return not _is_ip(endpoint.host) and endpoint.host.endswith("." + pattern.host)
    return endpoint.host == pattern.host


def check_endpoint_allowed(endpoint: str, allowlist: list[str]) -> str:
    """Return the normalised endpoint URL if a pattern of ``allowlist`` admits it.

    Raises EndpointNotAllowed when none does (an empty allowlist admits nothing) or when the
    endpoint is malformed. Makes no network request.
    """
    parsed = parse_endpoint(endpoint)
    if _is_allowed(parsed, allowlist):
        return parsed.url
    raise EndpointNotAllowed(
        f"Storage endpoint {parsed.url} is not on this server's allowlist of storage endpoints; "
        "a system admin can add it in the system settings."
    )


def validate_allowlist(patterns: list[str]) -> list[str]:
    """Return the stripped patterns; raise StorageConfigError naming the first malformed one."""
    for pattern in patterns:
        if _parse_pattern(pattern) is None:
            raise StorageConfigError(
                f"Allowlist entry {pattern!r} is not a host, *.domain, host:port or "
                "scheme://host[:port] pattern."
            )
    return [pattern.strip() for pattern in patterns]


def _is_allowed(endpoint: Endpoint, allowlist: list[str]) -> bool:
    patterns = (_parse_pattern(text) for text in allowlist)
    return any(pattern and _pattern_matches(pattern, endpoint) for pattern in patterns)


def _credential_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string inside ``value`` (nested objects and lists included), with its JSON path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _credential_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _credential_strings(item, f"{path}[{index}]")


def credential_urls(info: Mapping[str, Any] | str | None) -> list[tuple[str, str]]:
    """``(field, url)`` for every URL a credentials document could make the server contact.

    That is every string holding ``://`` (``token_uri``, ``auth_uri``, certificate URLs, an
    external account's ``credential_source.url``...) and, for a ``universe_domain`` other than
    Google's, the storage API host it implies. Raises StorageConfigError for JSON that does not
    parse to an object.
    """
    if not info:
        return []
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except ValueError:
            raise StorageConfigError("The service-account JSON is not valid JSON.") from None
    if not isinstance(info, Mapping):
        raise StorageConfigError("The service-account JSON must be a JSON object.")
    found = [(field, text) for field, text in _credential_strings(info, "") if "://" in text]
    universe = info.get("universe_domain")
    if isinstance(universe, str) and universe.strip().lower() != GOOGLE_UNIVERSE:
        found.append(("universe_domain", f"https://storage.{universe.strip()}"))
    return found


def _check_credential_url(field: str, url: str, allowlist: list[str]) -> None:
    try:
        parts = urlsplit(url.strip())
        netloc_ok = parts.username is None and parts.password is None
    except ValueError:
        parts, netloc_ok = None, False
    if parts is None or not netloc_ok or "://" not in url:
        raise EndpointNotAllowed(f"The credentials' {field} is not a plain http(s) URL.")
    try:
        endpoint = parse_endpoint(f"{parts.scheme}://{parts.netloc}")
    except EndpointNotAllowed:
        raise EndpointNotAllowed(f"The credentials' {field} is not a plain http(s) URL.") from None
    google = (
        endpoint.scheme == "https"
        and endpoint.port == 443
        and endpoint.host in GOOGLE_CREDENTIAL_HOSTS
        and _is_allowed(parse_endpoint(GCS_DEFAULT_ENDPOINT), allowlist)
    )
    if not (google or _is_allowed(endpoint, allowlist)):
        raise EndpointNotAllowed(
            f"The credentials' {field} points at {endpoint.url}, which is not on this server's "
            "allowlist of storage endpoints; a system admin can add it in the system settings."
        )


def check_connection_allowed(settings, allowlist: list[str]) -> str:
    """Check the endpoint and every URL inside the credentials of ``settings`` (a
    StorageSettings) against ``allowlist``; return the normalised endpoint URL.

    Raises EndpointNotAllowed naming the first refused endpoint or credentials field, and
    StorageConfigError for credentials that do not parse. Makes no network request.
    """
    endpoint = check_endpoint_allowed(settings.effective_endpoint, allowlist)
    for field, url in credential_urls(settings.credentials_info):
        _check_credential_url(field, url, allowlist)
    return endpoint
