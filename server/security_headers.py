"""Security headers on every response: API, console, errors, static files and health checks.

The Content-Security-Policy allows only the console's own assets, so the console has no inline
script, event handler or style attribute (behaviour lives in ``static/outpost.js``). A header a
view already set wins: the stored-file route sends a stricter ``Content-Security-Policy:
sandbox`` and keeps it.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Two years, the preload list's minimum; only ever sent over HTTPS in production.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def init_app(app: Flask) -> None:
    production = app.config["OUTPOST"].env == "production"

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            if name not in response.headers:
                response.headers[name] = value
        if production and request.is_secure and "Strict-Transport-Security" not in response.headers:
            response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
        return response
