"""Prepared run alerts: plain data that a background thread sends without the app or database.

:mod:`.alerts` builds them in the request (recipient, decrypted and allowlist-checked webhook,
a copy of the SMTP settings, subject and text); :mod:`.alert_sender` sends them. ``send()``
raises AlertNotSent, whose ``transient`` says whether a later try may succeed. Neither the
webhook URL (its path is the credential) nor the SMTP password appears in a repr or a reason.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from . import mail

WEBHOOK_TIMEOUT_SECONDS = 10.0  # default of OUTPOST_OUTBOUND_TIMEOUT


class AlertNotSent(Exception):
    """One channel could not deliver; the message is safe to log and show (no secrets)."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.transient = transient


@dataclass(frozen=True)
class EmailAlert:
    username: str  # whose alert it is, for the logs
    to: str
    subject: str
    text: str
    smtp: mail.SmtpConfig = field(repr=False)
    channel: ClassVar[str] = "email"

    def send(self) -> None:
        try:
            mail.deliver(self.smtp, self.to, self.subject, self.text)
        except mail.MailNotSent as exc:
            raise AlertNotSent(
                f"sending e-mail via {self.smtp.address} failed: {exc.reason}",
                transient=exc.transient,
            ) from None


@dataclass(frozen=True)
class WebhookAlert:
    username: str
    url: str = field(repr=False)  # checked against the allowlist when it was prepared
    text: str
    timeout: float = WEBHOOK_TIMEOUT_SECONDS
    channel: ClassVar[str] = "slack"

    def send(self) -> None:
        post_json(self.url, {"text": self.text}, timeout=self.timeout)


def _tls_context() -> ssl.SSLContext:
    # Built per call: it reads the system trust store (and SSL_CERT_FILE) as it is now.
    return ssl.create_default_context()


def post_json(
    url: str, payload: dict[str, Any], *, timeout: float = WEBHOOK_TIMEOUT_SECONDS
) -> None:
    """POST ``payload`` as JSON to ``url`` (HTTPS, redirects not followed). The caller has
    checked the URL against the allowlist. Raises AlertNotSent; an unreachable host, a 5xx or
    a 429 answer is transient."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPSConnection(
        parts.hostname, parts.port or 443, timeout=timeout, context=_tls_context()
    )
    try:
        connection.request(
            "POST",
            target,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "Outpost-alerts"},
        )
        response = connection.getresponse()
        response.read(64 * 1024)
    except ssl.SSLError as exc:
        raise AlertNotSent(f"TLS with the webhook host {parts.hostname} failed ({exc})") from None
    except (OSError, http.client.HTTPException) as exc:
        raise AlertNotSent(
            f"the webhook host {parts.hostname} could not be reached ({exc})", transient=True
        ) from None
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise AlertNotSent(
            f"the webhook host {parts.hostname} answered {response.status}",
            transient=response.status >= 500 or response.status == 429,
        )
