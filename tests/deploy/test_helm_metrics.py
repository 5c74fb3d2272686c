"""Metrics and scheduled maintenance in the chart: the token from a Secret, an optional
ServiceMonitor that sends it, Prometheus let through the NetworkPolicy, and one CronJob per
`outpost maintenance` command."""

from __future__ import annotations

from tests.deploy.chart import DATABASE, container, env_of, render


def test_metrics_token_and_service_monitor(rendered):
    out = rendered["hpa"]
    env = env_of(container(out, "Deployment", "op-outpost"))
    ref = env["OUTPOST_METRICS_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "op-outpost-credentials", "key": "metrics-token"}
    assert "metrics-token" in out.get("Secret", "op-outpost-credentials")["data"]
    monitor = out.get("ServiceMonitor", "op-outpost")
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    endpoint = monitor["spec"]["endpoints"][0]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    assert endpoint["authorization"]["credentials"] == ref
    selector = monitor["spec"]["selector"]["matchLabels"]
    service = out.get("Service", "op-outpost")["spec"]["selector"]
    assert selector == service
    policy = out.get("NetworkPolicy", "op-outpost-server")["spec"]
    sources = [rule["from"] for rule in policy["ingress"]]
    assert [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ] in sources


def test_metrics_are_off_by_default(rendered):
    out = rendered["defaults"]
    assert "OUTPOST_METRICS_TOKEN" not in env_of(container(out, "Deployment", "op-outpost"))
    assert not out.all("ServiceMonitor")


def test_each_maintenance_command_is_a_cron_job_and_each_is_optional(rendered):
    defaults = rendered["defaults"]
    jobs = {o["metadata"]["name"]: o for o in defaults.all("CronJob")}
    assert set(jobs) == {"op-outpost-prune", "op-outpost-refresh-usage", "op-outpost-purge-teams"}
    prune = jobs["op-outpost-prune"]["spec"]
    assert prune["schedule"] == "17 3 * * *"
    assert prune["concurrencyPolicy"] == "Forbid"
    box = container(defaults, "CronJob", "op-outpost-purge-teams")
    assert [box["command"][0], *box["args"]] == ["outpost", "maintenance", "purge-teams"]
    # Purging deletes team buckets: the job has the storage settings.
    assert env_of(box)["OUTPOST_STORAGE_PROVIDER"]["value"] == "minio"
    hpa = rendered["hpa"]
    names = {o["metadata"]["name"] for o in hpa.all("CronJob")}
    assert names == {"op-outpost-prune", "op-outpost-refresh-usage"}
    assert hpa.get("CronJob", "op-outpost-prune")["spec"]["timeZone"] == "Europe/Berlin"


def test_a_schedule_is_checked_by_the_schema(chart):
    import helm_python as helm
    import pytest

    with pytest.raises(helm.HelmValuesError) as caught:
        render({**DATABASE, "maintenance": {"prune": {"schedule": "daily"}}}, chart=chart)
    assert "at '/maintenance/prune/schedule'" in str(caught.value)
