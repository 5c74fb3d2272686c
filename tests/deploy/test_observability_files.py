"""The Grafana dashboard and the Prometheus scrape example refer to what the server exports,
and the Ansible roles pass `ansible-lint --profile production`."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import yaml

from server import metrics
from tests.deploy.ansible_run import ANSIBLE_DIR, REPO

DASHBOARD = REPO / "deploy" / "grafana" / "outpost-dashboard.json"
EXPORTED = {
    "outpost_http_requests_total",
    "outpost_http_request_duration_seconds_bucket",
    "outpost_storage_call_duration_seconds_bucket",
    "outpost_storage_call_errors_total",
    "outpost_db_pool_connections",
    "outpost_alert_queue_depth",
    "outpost_license_state",
    "outpost_license_days_left",
    "outpost_seats_used",
    "outpost_seats_licensed",
}


def test_the_dashboard_queries_only_metrics_the_server_exports():
    dashboard = json.loads(DASHBOARD.read_text())
    used = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used |= set(re.findall(r"\b(outpost_[a-z_]+)\b", target["expr"]))
    assert used == EXPORTED
    source = (REPO / "server" / "metrics.py").read_text()
    for name in EXPORTED:
        base = re.sub(r"_(total|bucket)$", "", name)
        assert f'"{base}' in source or f'"{name}' in source, name
    assert metrics.HTTP_REQUESTS._labelnames == ("route", "method", "status")


def test_the_scrape_example_sends_the_token_to_metrics():
    example = yaml.safe_load((ANSIBLE_DIR / "examples" / "prometheus-scrape.yml").read_text())
    job = example["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"


def test_the_roles_pass_ansible_lint_production(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ansiblelint", "--offline", "--profile", "production", "--nocolor"],
        cwd=ANSIBLE_DIR,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "ANSIBLE_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
