"""The server commands the Helm chart and the Ansible roles depend on, and the answers they read:
`outpost users show` (exit 1 when missing), `outpost db current` ("(head)"), and
`outpost storage provision --teams-file /dev/stdin --check --json`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from server.cli import main
from tests.deploy.ansible_run import REPO


def test_users_show_tells_whether_the_first_admin_exists(runner):
    missing = runner.invoke(main, ["users", "show", "admin"])
    assert missing.exit_code == 1
    assert "No user named 'admin'" in missing.output

    create = ["users", "create", "admin", "--email", "admin@example.test", "--password-stdin"]
    runner.invoke(main, [*create, "--system-admin"], input="a-long-enough-password\n")
    shown = runner.invoke(main, ["users", "show", "admin", "--json"])
    assert shown.exit_code == 0
    assert json.loads(shown.output) == {
        "username": "admin",
        "email": "admin@example.test",
        "state": "active",
        "system_admin": True,
    }
    text = runner.invoke(main, ["users", "show", "ADMIN"])
    assert text.output.strip() == "admin <admin@example.test>: system admin, active"


def cli(tmp_path, *args, stdin: str = "") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "OUTPOST_DATA_DIR": str(tmp_path / "data"),
        "OUTPOST_SECRET_KEY": "k" * 48,
    }
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        input=stdin,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_current_reports_head_only_after_the_upgrade(tmp_path):
    (tmp_path / "data").mkdir()  # the recipes create the data directory first
    before = cli(tmp_path, "db", "current")
    assert before.returncode == 0 and "(head)" not in before.stdout
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    assert cli(tmp_path, "db", "current").stdout.strip().endswith("(head)")


def test_provision_reads_the_teams_file_from_stdin_and_reports_json(tmp_path):
    teams = json.dumps({"teams": [{"name": "vision", "storage": "internal"}, {"name": "nlp"}]})
    args = ["storage", "provision", "--teams-file", "/dev/stdin", "--json"]
    plan = cli(tmp_path, *args, "--check", stdin=teams)
    assert plan.returncode == 0, plan.stderr
    report = json.loads(plan.stdout)
    assert (report["changed"], report["check"], report["failed"]) == (True, True, False)
    assert [t["bucket"] for t in report["teams"]] == ["outpost-vision", "outpost-nlp"]
    assert not (tmp_path / "data" / "storage" / "outpost-vision").exists()

    assert json.loads(cli(tmp_path, *args, stdin=teams).stdout)["changed"] is True
    assert json.loads(cli(tmp_path, *args, "--check", stdin=teams).stdout)["changed"] is False


def test_provision_refuses_a_team_on_another_storage_with_exit_2(tmp_path):
    teams = json.dumps({"teams": [{"name": "vision", "storage": "byob"}]})
    result = cli(tmp_path, "storage", "provision", "--teams-file", "/dev/stdin", stdin=teams)
    assert result.returncode == 2
    assert "only 'internal' buckets are provisioned from a file" in result.stderr
