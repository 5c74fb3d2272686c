"""Run alerts really leave the server: e-mail through a real SMTP server and Slack-style
webhooks to a real HTTPS receiver, both on 127.0.0.1, when a run finishes or crashes."""

import logging
from types import SimpleNamespace

import pytest

from server.errors import ServiceUnavailable
from server.services import alerts, system_settings
from server.services import profile as profile_service
from server.services import users as user_service
from tests.factories import bearer, make_key, make_project, make_run, make_team, make_user


@pytest.fixture
def world(app, smtp_sink, webhook_receiver):
    system_settings.update_settings(
        {**smtp_sink.settings(), "alert_webhook_allowlist": [webhook_receiver.allowlist_entry]}
    )
    owner = make_user("ada", email="ada@example.test", password=None)
    team = make_team("vision", admins=[owner])
    project = make_project(team, "detector", created_by=owner)
    run = make_run(project, owner, "r1", name="resnet-50")
    return SimpleNamespace(
        owner=owner, project=project, run=run, mail=smtp_sink, hooks=webhook_receiver
    )


def choose(world, **alerts_prefs):
    profile_service.update_profile(
        world.owner.id, {"alerts": {"slack_webhook_url": world.hooks.url, **alerts_prefs}}
    )


def test_a_finished_run_is_announced_by_email_and_in_slack(world):
    choose(world, run_finished=["email", "slack"])
    deliveries = alerts.notify_run_state(world.run, "finished")
    assert [(d.channel, d.ok) for d in deliveries] == [("email", True), ("slack", True)]
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
    assert [m.subject for m in world.mail.messages] == [
        "[Outpost] Run resnet-50 crashed in vision/detector"
    ]
    assert world.hooks.requests == []
    for state in ("running", "stopped"):
        assert alerts.notify_run_state(world.run, state) == []
    assert len(world.mail.messages) == 1 and world.hooks.requests == []


def test_nothing_is_sent_without_preferences_or_to_a_deactivated_owner(world):
    assert alerts.notify_run_state(world.run, "finished") == []
    choose(world, run_finished=["email"])
    make_user("other-admin", system_admin=True)
    user_service.deactivate(world.owner)
    assert alerts.notify_run_state(world.run, "finished") == []
    assert world.mail.messages == []


def test_failed_deliveries_are_logged_without_secrets_and_never_raise(world, caplog):
    choose(world, run_crashed=["email", "slack"])
    world.hooks.status = 500
    from tests.fixtures.ports import free_port

    system_settings.update_settings({"smtp_port": free_port()})  # nothing listens there
    server_logger = logging.getLogger("server")  # it does not propagate to the root logger
    server_logger.addHandler(caplog.handler)
    try:
        deliveries = alerts.notify_run_state(world.run, "crashed")
    finally:
        server_logger.removeHandler(caplog.handler)
    assert [(d.channel, d.ok) for d in deliveries] == [("email", False), ("slack", False)]
    assert "connection was refused" in deliveries[0].detail
    assert "answered 500" in deliveries[1].detail
    warnings = [r for r in caplog.records if r.name == "server.services.alerts"]
    assert len(warnings) == 2
    assert all("s3cr3t-token" not in record.getMessage() for record in caplog.records)


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
    assert [m.subject for m in world.mail.messages] == [
        "[Outpost] Run vit-b16 finished in vision/detector"
    ]
    again = client.patch(f"{RUNS}/r2", json={"state": "finished"}, headers=headers)
    assert again.status_code == 200 and len(world.mail.messages) == 1  # a retry sends nothing
    crashed = client.patch(f"{RUNS}/r1", json={"state": "crashed"}, headers=headers)
    assert crashed.json["state"] == "crashed"
    (hook,) = world.hooks.requests
    assert "Run resnet-50 crashed" in hook["json"]["text"]


def test_a_webhook_that_fails_does_not_fail_the_run_update(client, world):
    choose(world, run_crashed=["slack"])
    world.hooks.status = 503
    headers = bearer(make_key(world.owner))
    crashed = client.patch(f"{RUNS}/r1", json={"state": "crashed"}, headers=headers)
    assert crashed.status_code == 200 and crashed.json["state"] == "crashed"
    assert len(world.hooks.requests) == 1
