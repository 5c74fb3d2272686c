"""Outgoing e-mail over SMTP, configured by the ``smtp_*`` system settings.

One small interface, :func:`send_mail`, for invitations and the settings page's test e-mail;
:func:`deliver` sends with a copy of the settings and no app context (run alerts, sent in the
background). Errors say what went wrong and never contain the SMTP password.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import urlsplit

from flask import current_app

from ..errors import Conflict, OutpostError, ServiceUnavailable
from . import audit
from .system_settings import get_setting


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # "none", "starttls" or "ssl"
    username: str
    password: str = field(repr=False)
    sender: str
    sender_name: str
    timeout: float = 10.0  # seconds to connect, and for each answer (OUTPOST_OUTBOUND_TIMEOUT)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def smtp_config() -> SmtpConfig | None:
    """The effective SMTP settings, or None when no SMTP host is set."""
    host = (get_setting("smtp_host") or "").strip()
    if not host:
        return None
    sender = (get_setting("smtp_from") or "").strip()
    if not sender:
        instance_host = urlsplit(current_app.config["OUTPOST"].url).hostname or "localhost"
        sender = f"outpost@{instance_host}"
    return SmtpConfig(
        host=host,
        port=int(get_setting("smtp_port")),
        security=get_setting("smtp_security"),
        username=get_setting("smtp_username") or "",
        password=get_setting("smtp_password") or "",
        sender=sender,
        sender_name=get_setting("instance_name") or "Outpost",
        timeout=current_app.config["OUTPOST"].outbound_timeout,
    )


def is_configured() -> bool:
    return smtp_config() is not None


def _message(config: SmtpConfig, to: str, subject: str, text: str, html: str | None):
    message = EmailMessage()
    message["From"] = formataddr((config.sender_name, config.sender))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    if config.security == "ssl":
        context = ssl.create_default_context()
        return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    if config.security == "starttls":
        client.ehlo()
        if not client.has_extn("starttls"):
            client.close()
            raise smtplib.SMTPNotSupportedError(
                "the server does not offer STARTTLS; choose security 'none' or 'ssl'"
            )
        client.starttls(context=ssl.create_default_context())
        client.ehlo()
    return client


def _reason(exc: Exception, config: SmtpConfig) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        text = "the server refused the user name or password"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "the server refused the recipient " + ", ".join(exc.recipients)
    elif isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode(errors="replace") if exc.smtp_error else ""
        text = f"the server answered {exc.smtp_code} {detail}".strip()
    elif isinstance(exc, ssl.SSLError | ssl.CertificateError):
        text = f"TLS failed: {exc}"
    elif isinstance(exc, socket.timeout | TimeoutError) or (
        # smtplib turns a read timeout into a disconnection ending in "timed out"
        isinstance(exc, smtplib.SMTPServerDisconnected) and str(exc).endswith("timed out")
    ):
        text = f"no answer within {config.timeout:g} seconds"
    elif isinstance(exc, ConnectionRefusedError):
        text = "the connection was refused"
    elif isinstance(exc, socket.gaierror):
        text = f"the host name {config.host!r} does not resolve"
    else:
        text = str(exc) or type(exc).__name__
    if config.password:  # never let a server's echo carry the password into a message
        text = text.replace(config.password, "********")
    return text


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message. ``reason`` is safe to log
    and show (never the password); ``transient`` says whether trying again later may work."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


def _transient(exc: Exception) -> bool:
    """Whether the same message may go through on a later try (a 4xx answer, a dropped or
    refused connection, a timeout), as opposed to a refusal that will not change."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPException | ssl.SSLError | ssl.CertificateError):
        return False  # e.g. no STARTTLS offered, an untrusted certificate: a setting is wrong
    if isinstance(exc, socket.gaierror):
        return exc.errno == socket.EAI_AGAIN  # "temporary failure in name resolution"
    return isinstance(exc, OSError)


def deliver(config: SmtpConfig, to: str, subject: str, text: str, html: str | None = None):
    """Send one message through the server ``config`` describes. Needs no app context (the
    background alert sender calls it with a copy of the settings).

    Raises MailNotSent.
    """
    message = _message(config, to, subject, text, html)
    try:
        with _connect(config) as client:
            if config.username:
                client.login(config.username, config.password)
            client.send_message(message, from_addr=config.sender, to_addrs=[to])
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        raise MailNotSent(_reason(exc, config), transient=_transient(exc)) from None


def send_mail(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Send one message to ``to`` through the configured SMTP server.

    Raises Conflict (``smtp_not_configured``) when no SMTP host is set and ServiceUnavailable
    (``smtp_failed``, with ``reason``) when the server cannot be reached or refuses the message.
    """
    config = smtp_config()
    if config is None:
        raise not_configured()
    try:
        deliver(config, to, subject, text, html)
    except MailNotSent as exc:
        current_app.logger.warning("sending e-mail via %s failed: %s", config.address, exc.reason)
        raise ServiceUnavailable(
            f"Sending e-mail via {config.address} failed: {exc.reason}.",
            code="smtp_failed",
            reason=exc.reason,
        ) from None


def send_link(to: str, subject: str, invitation: str, action: str, link: str, expires_at):
    """E-mail a one-time ``link`` when SMTP is set up: ``invitation`` says what the person is
    invited to, ``action`` what the link does. Returns (sent, why not): a failure never undoes
    what the link is for, the caller passes the reason on."""
    if not is_configured():
        return False, "E-mail is not set up (no SMTP server): pass the link on yourself."
    text = (
        f"{invitation}\n\n{action}:\n{link}\n\n"
        f"The link works once and expires on {expires_at:%Y-%m-%d %H:%M} UTC.\n"
    )
    try:
        send_mail(to, subject, text)
    except OutpostError as exc:
        return False, exc.message
    return True, None


def not_configured() -> Conflict:
    """The error for sending while no SMTP host is set (``smtp_not_configured``)."""
    return Conflict(
        "E-mail is not set up: a system admin can set the SMTP server under Admin › Settings.",
        code="smtp_not_configured",
    )


def send_test_email(to: str) -> str:
    """Send the settings page's test message to ``to``; returns the server it went through.

    Raises what :func:`send_mail` raises; the attempt is audited either way.
    """
    from .users import normalise_email

    to = normalise_email(to)
    name = get_setting("instance_name") or "Outpost"
    try:
        send_mail(
            to,
            f"{name}: test e-mail",
            f"This is a test e-mail from {name} ({current_app.config['OUTPOST'].url}).\n\n"
            "If you can read it, Outpost can send invitations and alerts.\n",
        )
    except (Conflict, ServiceUnavailable) as exc:
        audit.record_now(
            "system:test_email",
            target_type="email",
            target_name=to,
            result="failure",
            details={"code": exc.code, "reason": exc.details.get("reason", exc.message)},
        )
        raise
    server = smtp_config().address
    audit.record_now(
        "system:test_email", target_type="email", target_name=to, details={"server": server}
    )
    return server
