"""Run alerts really leave the server: e-mail through a real SMTP server and Slack-style
webhooks to a real HTTPS receiver, both on 127.0.0.1, when a run finishes or crashes. They are
sent by the background sender, so each test flushes it before looking at what arrived."""

import logging
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from server.errors import ServiceUnavailable
from server.services import alert_sender, alerts, system_settings
from server.services import profile as profile_service
from server.services import users as user_service
from tests.factories import bearer, make_key, make_project, make_run, make_team, make_user


@pytest.fixture
def world(app, smtp_sink, webhook_receiver, monkeypatch):
    monkeypatch.setattr(alert_sender.sender, "retry_delays", (0.05, 0.1))  # quick retries
    system_settings.update_settings(
        {**smtp_sink.settings(), "alert_webhook_allowlist": [webhook_receiver.allowlist_entry]}
    )
    owner = make_user("ada", email="ada@example.test", password=None)
    team = make_team("vision", admins=[owner])
    project = make_project(team, "detector", created_by=owner)
    run = make_run(project, owner, "r1", name="resnet-50")
    yield SimpleNamespace(
        owner=owner, project=project, run=run, mail=smtp_sink, hooks=webhook_receiver
    )
    smtp_sink.release()
    assert alert_sender.flush(30), "alerts were still being sent at the end of the test"


def flushed():
    assert alert_sender.flush(10)


@contextmanager
def server_logs(caplog):
    server_logger = logging.getLogger("server")  # it does not propagate to the root logger
    server_logger.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        server_logger.removeHandler(caplog.handler)


def choose(world, **alerts_prefs):
    profile_service.update_profile(
        world.owner.id, {"alerts": {"slack_webhook_url": world.hooks.url, **alerts_prefs}}
    )


def test_a_finished_run_is_announced_by_email_and_in_slack(world):
    choose(world, run_finished=["email", "slack"])
    deliveries = alerts.notify_run_state(world.run, "finished")
    assert [(d.channel, d.ok, d.detail) for d in deliveries] == [
        ("email", True, "queued"),
        ("slack", True, "queued"),
    ]
    flushed()
    (mail,) = world.mail.messages
    assert mail.recipients == ["ada@example.test"]
    assert mail.subject == "[Outpost] Run resnet-50 finished in vision/detector"
    assert "Project: vision/detector" in mail.text()
    (hook,) = world.hooks.requests
    assert hook["path"] == "/services/T0001/B0001/s3cr3t-token"
    assert hook["content_type"] == "application/json"
    assert "Run resnet-50 finished" in hook["json"]["text"]


def test_each_event_uses_only_the_channels_chosen_for_it(world):
    choose(world, run_finished=["slack"], run_crashed=["email"])
    alerts.notify_run_state(world.run, "crashed")
    flushed()
    assert [m.subject for m in world.mail.messages] == [
        "[Outpost] Run resnet-50 crashed in vision/detector"
    ]
    assert world.hooks.requests == []
    for state in ("running", "stopped"):
        assert alerts.notify_run_state(world.run, state) == []
    flushed()
    assert len(world.mail.messages) == 1 and world.hooks.requests == []


def test_nothing_is_sent_without_preferences_or_to_a_deactivated_owner(world):
    assert alerts.notify_run_state(world.run, "finished") == []
    choose(world, run_finished=["email"])
    make_user("other-admin", system_admin=True)
    user_service.deactivate(world.owner)
    assert alerts.notify_run_state(world.run, "finished") == []
    flushed()
    assert world.mail.messages == []


def test_failed_deliveries_are_retried_then_logged_without_secrets(world, caplog):
    choose(world, run_crashed=["email", "slack"])
    world.hooks.status = 500
    from tests.fixtures.ports import free_port

    system_settings.update_settings({"smtp_port": free_port()})  # nothing listens there
    with server_logs(caplog):
        deliveries = alerts.notify_run_state(world.run, "crashed")
        flushed()
    assert [(d.channel, d.ok) for d in deliveries] == [("email", True), ("slack", True)]
    assert len(world.hooks.requests) == 3  # the first try and two retries
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("server.services.al")]
    assert len(warnings) == 2
    (email,) = [w for w in warnings if "via email" in w]
    assert "not sent after 3 attempt(s)" in email and "connection was refused" in email
    (slack,) = [w for w in warnings if "via slack" in w]
    assert "not sent after 3 attempt(s)" in slack and "answered 500" in slack
    assert all("s3cr3t-token" not in record.getMessage() for record in caplog.records)


def test_a_webhook_refusing_the_alert_for_good_is_not_retried(world, caplog):
    choose(world, run_finished=["slack"])
    world.hooks.status = 404
    with server_logs(caplog):
        alerts.notify_run_state(world.run, "finished")
        flushed()
    assert len(world.hooks.requests) == 1
    (warning,) = [r for r in caplog.records if r.name == "server.services.alert_sender"]
    assert warning.levelno == logging.WARNING
    assert "after 1 attempt(s): the webhook host 127.0.0.1 answered 404" in warning.getMessage()


def test_a_webhook_host_removed_from_the_allowlist_gets_no_more_requests(world):
    choose(world, run_finished=["slack"])
    system_settings.update_settings({"alert_webhook_allowlist": ["hooks.slack.com"]})
    (delivery,) = alerts.notify_run_state(world.run, "finished")
    assert not delivery.ok and "may not be sent" in delivery.detail
    assert world.hooks.requests == []


def test_test_alerts_report_why_they_failed(world):
    alerts.send_test_alert(world.owner, "email")
    assert world.mail.messages[-1].subject == "[Outpost] Test alert"
    system_settings.update_settings({"smtp_host": ""})
    with pytest.raises(ServiceUnavailable) as refused:
        alerts.send_test_alert(world.owner, "email")
    assert refused.value.code == "alert_not_sent"
    assert "not set up" in refused.value.message


RUNS = "/api/v1/teams/vision/projects/detector/runs"


def test_finishing_a_run_through_the_api_sends_the_owners_alerts(client, world):
    choose(world, run_finished=["email"], run_crashed=["slack"])
    headers = bearer(make_key(world.owner))
    started = client.post(RUNS, json={"run_id": "r2", "name": "vit-b16"}, headers=headers)
    assert started.status_code == 201, started.json
    done = client.patch(f"{RUNS}/r2", json={"state": "finished"}, headers=headers)
    assert done.status_code == 200 and done.json["state"] == "finished"
    flushed()
    assert [m.subject for m in world.mail.messages] == [
        "[Outpost] Run vit-b16 finished in vision/detector"
    ]
    again = client.patch(f"{RUNS}/r2", json={"state": "finished"}, headers=headers)
    assert again.status_code == 200
    crashed = client.patch(f"{RUNS}/r1", json={"state": "crashed"}, headers=headers)
    assert crashed.json["state"] == "crashed"
    flushed()
    assert len(world.mail.messages) == 1  # a retried finish sends nothing
    (hook,) = world.hooks.requests
    assert "Run resnet-50 crashed" in hook["json"]["text"]


def test_a_webhook_that_fails_does_not_fail_the_run_update(client, world):
    choose(world, run_crashed=["slack"])
    world.hooks.status = 503
    headers = bearer(make_key(world.owner))
    crashed = client.patch(f"{RUNS}/r1", json={"state": "crashed"}, headers=headers)
    assert crashed.status_code == 200 and crashed.json["state"] == "crashed"
    flushed()
    assert len(world.hooks.requests) == 3  # tried again, then given up
    assert client.get(f"{RUNS}/r1", headers=headers).json["state"] == "crashed"


def test_finishing_a_run_does_not_wait_for_a_slow_mail_server(client, world):
    choose(world, run_finished=["email"])
    world.mail.hold()  # the server takes the message but does not answer until released
    headers = bearer(make_key(world.owner))
    done = client.patch(f"{RUNS}/r1", json={"state": "finished"}, headers=headers)
    assert done.status_code == 200 and done.json["state"] == "finished"
    assert world.mail.messages == []  # the answer came before the mail server accepted the mail
    assert world.mail.wait_for_arrival(), "the alert never reached the mail server"
    world.mail.release()
    flushed()
    (mail,) = world.mail.messages
    assert mail.subject == "[Outpost] Run resnet-50 finished in vision/detector"
    assert mail.recipients == ["ada@example.test"]


def test_alerts_beyond_the_queue_capacity_are_dropped_with_a_warning(
    client, world, caplog, monkeypatch
):
    monkeypatch.setattr(alert_sender.sender, "capacity", 1)
    choose(world, run_finished=["email"])
    world.mail.hold()
    headers = bearer(make_key(world.owner))
    started = client.post(RUNS, json={"run_id": "r2", "name": "vit-b16"}, headers=headers)
    assert started.status_code == 201, started.json
    with server_logs(caplog):
        first = client.patch(f"{RUNS}/r1", json={"state": "finished"}, headers=headers)
        second = client.patch(f"{RUNS}/r2", json={"state": "finished"}, headers=headers)
    assert first.json["state"] == "finished" and second.json["state"] == "finished"
    (dropped,) = [r for r in caplog.records if r.name == "server.services.alert_sender"]
    assert dropped.levelno == logging.WARNING
    assert "alert to user ada via email dropped: 1 alerts are already waiting" in (
        dropped.getMessage()
    )
    world.mail.release()
    flushed()
    assert [m.subject for m in world.mail.messages] == [
        "[Outpost] Run resnet-50 finished in vision/detector"
    ]
