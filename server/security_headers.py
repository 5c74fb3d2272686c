"""Security headers on every response: API, console, errors, static files and health checks.

The Content-Security-Policy allows only the console's own assets, so the console has no inline
script, event handler or style attribute (behaviour lives in ``static/outpost.js``). A header a
view already set wins: the stored-file route sends a stricter ``Content-Security-Policy:
sandbox`` and keeps it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

from .config import Settings

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Two years, the preload list's minimum; only ever sent over HTTPS in production.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def image_sources(settings: Settings) -> list[str]:
    """Where console images come from: this origin, ``data:``, the instance storage (profile
    pictures redirect to its pre-signed URLs unless it is the embedded filesystem) and the
    origins the operator lists in ``csp_image_sources``."""
    sources = ["'self'", "data:"]
    provider = settings.storage_provider
    if provider in ("s3", "minio") and settings.storage_endpoint:
        parts = urlsplit(settings.storage_endpoint)
        sources.append(f"{parts.scheme}://{parts.netloc}")
    elif provider == "s3":  # AWS: the pictures' bucket (services/avatars.py avatar_bucket)
        host = f"{settings.storage_bucket_prefix}--users.s3"
        sources += [
            f"https://{host}.amazonaws.com",
            f"https://{host}.{settings.storage_region}.amazonaws.com",
        ]
    elif provider == "gcs":
        sources.append("https://storage.googleapis.com")
    return sources + list(settings.csp_image_sources)


def content_security_policy(settings: Settings) -> str:
    """Only the console's own assets: no inline code, no framing, no plugins."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src " + " ".join(image_sources(settings)),
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "object-src 'none'",
        )
    )


def init_app(app: Flask) -> None:
    settings = app.config["OUTPOST"]
    production = settings.env == "production"
    headers = {"Content-Security-Policy": content_security_policy(settings), **HEADERS}
    wanted = [(name.lower(), name, value) for name, value in headers.items()]

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # One pass over what the view set (a ``name in headers`` test raises and catches a
        # KeyError per missing header in werkzeug).
        present = {name.lower() for name, _ in response.headers.items()}
        for lower, name, value in wanted:
            if lower not in present:
                response.headers.add(name, value)
        if production and request.is_secure and "Strict-Transport-Security" not in response.headers:
            response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
        return response
