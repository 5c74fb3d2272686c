"""Run alerts: tell a run's owner when it finished or crashed, by e-mail and/or Slack webhook.

Each user chooses the channels per event on Settings › Alerts (stored on their profile).
When the run service reports the transition (:func:`notify_run_state`) the alerts are prepared
in the request (owner, channels, webhook, SMTP settings, subject and text are read from the
database) and handed to this process's background sender (:mod:`.alert_sender`), so finishing
a run never waits on a mail server or a webhook. A channel that fails is logged, without
addresses' secrets, and never fails the run update. The settings page's test alert is sent
at once, and its failure reported.

Webhooks go out over HTTPS only, to hosts on the ``alert_webhook_allowlist`` system setting
(``hooks.slack.com`` by default), and redirects are not followed, so a user cannot make the
server send requests to arbitrary hosts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from ..errors import ServiceUnavailable, ValidationFailed
from . import alert_sender
from .alert_delivery import AlertNotSent, EmailAlert, WebhookAlert
from .system_settings import get_setting

log = logging.getLogger(__name__)

EVENTS = {"finished": "run_finished", "crashed": "run_crashed"}
CHANNELS = ("email", "slack")


@dataclass(frozen=True)
class Delivery:
    """What became of one channel's alert: for a run alert ``ok`` means it was queued for
    sending; for a test alert, that it was sent."""

    channel: str
    ok: bool
    detail: str = ""


# --- webhook addresses ------------------------------------------------------------------------


def check_webhook_url(url: str) -> str:
    """Return ``url`` if alerts may be posted to it: HTTPS, no user info, an allowed host.

    Raises ValidationFailed (``invalid_webhook_url`` or ``webhook_host_not_allowed``).
    """
    from ..storage import EndpointNotAllowed, check_endpoint_allowed

    url = (url or "").strip()
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
        parts = parts._replace(scheme="")
    if parts.scheme != "https" or not parts.hostname or parts.username is not None:
        raise ValidationFailed(
            "The Slack webhook must be an https:// URL such as https://hooks.slack.com/services/….",
            code="invalid_webhook_url",
        )
    if len(url) > 2048 or any(c.isspace() for c in url):
        raise ValidationFailed("The Slack webhook URL is malformed.", code="invalid_webhook_url")
    allowlist = get_setting("alert_webhook_allowlist") or []
    try:
        check_endpoint_allowed(f"https://{parts.hostname}:{port or 443}", allowlist)
    except EndpointNotAllowed:
        raise ValidationFailed(
            f"Alerts may not be sent to {parts.hostname}: this instance allows webhooks to "
            f"{', '.join(allowlist) or 'no host'} (system setting alert_webhook_allowlist).",
            code="webhook_host_not_allowed",
        ) from None
    return url


def email_configured() -> bool:
    from .mail import is_configured

    return is_configured()


# --- run alerts -------------------------------------------------------------------------------


def _describe(run: Any, state: str) -> tuple[str, str]:
    """Subject and text of an alert about ``run``."""
    name = (
        getattr(run, "display_name", None)
        or getattr(run, "name", "")
        or getattr(run, "run_id", "")
        or "a run"
    )
    project = getattr(run, "project", None)
    team = getattr(project, "team", None)
    where = f"{team.slug}/{project.name}" if project is not None and team is not None else ""
    instance = get_setting("instance_name") or "Outpost"
    verb = "finished" if state == "finished" else "crashed"
    subject = f"[{instance}] Run {name} {verb}" + (f" in {where}" if where else "")
    lines = [f"Run {name} {verb}."]
    if where:
        lines.append(f"Project: {where}")
    lines.append(f"Instance: {current_app.config['OUTPOST'].url}")
    lines.append("")
    lines.append("You get this because of your alert settings (Settings › Alerts).")
    return subject, "\n".join(lines)


def _prepare(channel: str, user, subject: str, text: str) -> EmailAlert | WebhookAlert:
    """The alert to send ``user`` on ``channel``, with everything its sending needs copied out
    of the database and settings. Raises AlertNotSent when it cannot be sent at all."""
    if channel == "email":
        from .mail import not_configured, smtp_config

        if not user.email:
            raise AlertNotSent("the user has no e-mail address")
        config = smtp_config()
        if config is None:
            raise AlertNotSent(not_configured().message)
        return EmailAlert(user.username, user.email, subject, text, config)
    if channel == "slack":
        from .profile import slack_webhook_of

        webhook = slack_webhook_of(user.id)
        if not webhook:
            raise AlertNotSent("no Slack webhook is set")
        try:
            check_webhook_url(webhook)  # again: the allowlist may have shrunk since it was saved
        except ValidationFailed as exc:
            raise AlertNotSent(exc.message) from None
        timeout = current_app.config["OUTPOST"].outbound_timeout
        return WebhookAlert(user.username, webhook, f"*{subject}*\n{text}", timeout)
    raise AlertNotSent(f"unknown alert channel {channel!r}")


def _not_sent(user, channel: str, exc: AlertNotSent) -> Delivery:
    log.warning("alert to user %s via %s not sent: %s", user.username, channel, exc)
    return Delivery(channel, False, str(exc))


def _queue_all(user, channels: list[str], subject: str, text: str) -> list[Delivery]:
    results = []
    for channel in channels:
        try:
            job = _prepare(channel, user, subject, text)
        except AlertNotSent as exc:
            results.append(_not_sent(user, channel, exc))
            continue
        if alert_sender.submit(job):
            results.append(Delivery(channel, True, "queued"))
        else:
            results.append(Delivery(channel, False, "the alert queue is full"))
    return results


def notify_run_state(run: Any, state: str) -> list[Delivery]:
    """Alert the run's owner that ``run`` reached ``state`` (``finished`` or ``crashed``),
    on the channels they chose. Other states are ignored. The alerts are queued for the
    background sender; call :func:`.alert_sender.flush` to wait for them.

    ``run`` needs ``created_by_id`` and ``name`` (``display_name`` and ``project.team``
    are used when present). Never raises: a failure is logged and returned as a Delivery.
    """
    event = EVENTS.get(state)
    if event is None:
        return []
    try:
        from ..extensions import db
        from ..models import User
        from .profile import alert_channels

        owner = db.session.get(User, getattr(run, "created_by_id", None) or 0)
        if owner is None or not owner.is_active or owner.is_service_account:
            return []
        channels = alert_channels(owner.id, event)
        if not channels:
            return []
        subject, text = _describe(run, state)
        return _queue_all(owner, channels, subject, text)
    except Exception:  # an alert must never break the run update that triggered it
        log.exception("run alert for state %s failed", state)
        from ..extensions import db

        db.session.rollback()  # the run change is committed already; leave a usable session
        return []


def send_test_alert(user, channel: str) -> None:
    """Send a test alert to ``user`` on ``channel`` (the alerts page's "Send test").

    Raises ValidationFailed for an unknown channel, ServiceUnavailable (``alert_not_sent``,
    with the reason) when delivery fails.
    """
    if channel not in CHANNELS:
        raise ValidationFailed(f"Unknown alert channel {channel!r}.", code="invalid_alert_channel")
    instance = get_setting("instance_name") or "Outpost"
    subject = f"[{instance}] Test alert"
    text = "This is a test alert. Run alerts will arrive like this."
    try:
        _prepare(channel, user, subject, text).send()  # at once: the user waits for the answer
    except AlertNotSent as exc:
        result = _not_sent(user, channel, exc)
        raise ServiceUnavailable(
            f"The test alert was not sent: {result.detail}.",
            code="alert_not_sent",
            reason=result.detail,
        ) from None
