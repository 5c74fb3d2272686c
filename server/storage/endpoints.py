"""Endpoint allowlist for bring-your-own-bucket connections.

Checked before a provider object exists, so a refused endpoint never receives a request.

Pattern forms (case-insensitive):

* ``s3.amazonaws.com`` – that host, on the default port of the endpoint's scheme;
* ``*.amazonaws.com`` – any host *below* that domain (not the domain itself), default port;
* ``127.0.0.1:9000`` / ``minio.internal:9000`` – that host and that port;
* ``https://minio.corp:9443`` – additionally requires that scheme.

Endpoints may be given with or without a scheme (``https`` is assumed) and must not carry user
info, a path, a query or a fragment.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import EndpointNotAllowed, StorageConfigError

DEFAULT_PORTS = {"http": 80, "https": 443}
GCS_DEFAULT_ENDPOINT = "https://storage.googleapis.com"


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
    patterns = (_parse_pattern(text) for text in allowlist)
    if any(pattern and _pattern_matches(pattern, parsed) for pattern in patterns):
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
