"""The outpost_buckets role, run for real with ansible-playbook, provisions one bucket per team on
the S3 API server and the GCS API server (127.0.0.1) through `outpost storage provision`:
buckets exist, a second run changes nothing, check mode reports without changing."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import boto3
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage as gcs

from tests.deploy.ansible_run import (
    ANSIBLE_DIR,
    PLAYBOOKS,
    REPO,
    assert_succeeded,
    run_playbook,
)
from tests.fixtures.object_storage import free_port

PROVISION = "Provision the team buckets (outpost storage provision)"
CHECK = "Check the team buckets (outpost storage provision --check)"
# moto's S3 server takes any key, so this one can be told apart in Ansible's output.
S3_SECRET = "s3-secret-that-must-never-be-printed"


def bucket_vars(tmp_path, prefix: str, teams: list, **storage) -> dict:
    """Role variables that run this worktree's `outpost` command against a storage server."""
    return {
        "outpost_buckets_teams": teams,
        "outpost_buckets_command": [sys.executable, "-m", "server.cli"],
        "outpost_buckets_command_environment": {"PYTHONPATH": str(REPO)},
        "outpost_buckets_data_dir": str(tmp_path / "data"),
        "outpost_buckets_secret_key": "s" * 48,
        "outpost_buckets_url": "https://outpost.example.com",
        "outpost_buckets_storage_bucket_prefix": prefix,
        "outpost_buckets_wait_seconds": 10,
        **storage,
    }


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture
def s3_vars(s3_server):
    return {
        "outpost_buckets_storage_provider": "s3",
        "outpost_buckets_storage_endpoint": s3_server.endpoint,
        "outpost_buckets_storage_region": s3_server.region,
        "outpost_buckets_storage_access_key": s3_server.access_key,
        "outpost_buckets_storage_secret_key": S3_SECRET,
    }


@pytest.fixture
def s3_client(s3_server):
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3_server.endpoint,
        region_name=s3_server.region,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
    )
    yield client
    client.close()


@pytest.fixture
def gcs_client(gcs_server):
    return gcs.Client(
        project=gcs_server.project,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": gcs_server.endpoint},
    )


def s3_buckets(client, prefix: str) -> dict[str, str]:
    """Buckets under ``prefix`` and their versioning status."""
    names = [b["Name"] for b in client.list_buckets()["Buckets"] if b["Name"].startswith(prefix)]
    return {name: client.get_bucket_versioning(Bucket=name).get("Status") for name in names}


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_every_playbook_passes_the_syntax_check(playbook, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ansible.cli.playbook", "--syntax-check", playbook],
        cwd=ANSIBLE_DIR,
        env={"ANSIBLE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"playbook: {playbook}" in proc.stdout


def test_s3_buckets_per_team_idempotent_and_honest_in_check_mode(
    tmp_path, prefix, s3_vars, s3_client
):
    teams = [{"name": "vision", "storage": "internal"}, {"name": "nlp"}]
    variables = bucket_vars(tmp_path, prefix, teams, **s3_vars)
    first = assert_succeeded(run_playbook("buckets.yml", tmp_path, variables))
    assert PROVISION in first.changed
    assert s3_buckets(s3_client, prefix) == {
        f"{prefix}-nlp": "Enabled",
        f"{prefix}-vision": "Enabled",
    }
    assert S3_SECRET not in first.log and S3_SECRET not in json.dumps(first.output)

    again = assert_succeeded(run_playbook("buckets.yml", tmp_path, variables))
    assert again.stats["changed"] == 0, again.changed
    assert again.result(PROVISION)["status"] == "skipped"

    # Not only "create if missing": a setting drifted by hand is put back.
    s3_client.put_bucket_versioning(
        Bucket=f"{prefix}-nlp", VersioningConfiguration={"Status": "Suspended"}
    )
    repaired = assert_succeeded(run_playbook("buckets.yml", tmp_path, variables))
    assert repaired.changed == [PROVISION]
    assert repaired.result("Show the team buckets")["msg"][1] == {
        "team": "nlp",
        "bucket": f"{prefix}-nlp",
        "status": "updated",
        "changes": ["enable versioning"],
    }
    assert s3_buckets(s3_client, prefix)[f"{prefix}-nlp"] == "Enabled"

    more = [*teams, {"name": "speech"}]
    check = assert_succeeded(
        run_playbook(
            "buckets.yml", tmp_path, bucket_vars(tmp_path, prefix, more, **s3_vars), check=True
        )
    )
    assert check.changed == [CHECK]
    assert f"{prefix}-speech" not in s3_buckets(s3_client, prefix)

    unchanged_check = assert_succeeded(run_playbook("buckets.yml", tmp_path, variables, check=True))
    assert unchanged_check.stats["changed"] == 0


def test_gcs_buckets_per_team_and_check_mode_changes_nothing(
    tmp_path, prefix, gcs_server, gcs_client
):
    storage = {
        "outpost_buckets_storage_provider": "gcs",
        "outpost_buckets_gcs_emulator_host": gcs_server.endpoint,
    }
    teams = [{"name": "vision"}, {"name": "nlp", "storage": "internal"}]
    variables = bucket_vars(tmp_path, prefix, teams, **storage)

    def buckets():
        found = gcs_client.list_buckets()
        return {b.name: b.versioning_enabled for b in found if b.name.startswith(prefix)}

    first = assert_succeeded(run_playbook("buckets.yml", tmp_path, variables))
    assert PROVISION in first.changed
    assert buckets() == {f"{prefix}-nlp": True, f"{prefix}-vision": True}

    # fake-gcs-server keeps buckets and versioning but drops labels and CORS rules, so the
    # server (and so the role, which reports what the server reports) re-applies exactly those.
    again = assert_succeeded(run_playbook("buckets.yml", tmp_path, variables))
    assert buckets() == {f"{prefix}-nlp": True, f"{prefix}-vision": True}
    for team in again.result("Show the team buckets")["msg"]:
        assert team["status"] == "updated"
        assert all(c.startswith(("set labels", "allow CORS")) for c in team["changes"])
        assert "create bucket" not in team["changes"]

    more = bucket_vars(tmp_path, prefix, [*teams, {"name": "speech"}], **storage)
    check = assert_succeeded(run_playbook("buckets.yml", tmp_path, more, check=True))
    assert check.changed == [CHECK]
    assert f"{prefix}-speech" not in buckets()


def test_unreachable_storage_fails_the_play_with_the_commands_message(tmp_path, prefix):
    storage = {
        "outpost_buckets_storage_provider": "s3",
        "outpost_buckets_storage_endpoint": f"http://127.0.0.1:{free_port()}",
        "outpost_buckets_storage_access_key": "key",
        "outpost_buckets_storage_secret_key": S3_SECRET,
        "outpost_buckets_wait_seconds": 1,
    }
    run = run_playbook(
        "buckets.yml", tmp_path, bucket_vars(tmp_path, prefix, [{"name": "vision"}], **storage)
    )
    assert run.rc != 0
    message = run.result("Report a failed check")["msg"]
    assert "exited 2" in message and "not ready within 1 s" in message
    assert S3_SECRET not in run.log and S3_SECRET not in json.dumps(run.output)


def test_a_team_on_another_storage_is_refused_before_anything_runs(tmp_path, prefix, s3_vars):
    teams = [{"name": "vision", "storage": "byob"}]
    run = run_playbook("buckets.yml", tmp_path, bucket_vars(tmp_path, prefix, teams, **s3_vars))
    assert run.rc != 0
    failed = [(name, r) for name, r in run.results() if r.get("failed")]
    assert len(failed) == 1
    assert "value of storage must be one of: internal, got: byob" in failed[0][1]["msg"]


def test_example_inventory_loads_with_its_group_vars(tmp_path):
    """The example an operator copies parses, and gives the site playbook what it needs."""
    proc = subprocess.run(
        [sys.executable, "-m", "ansible.cli.inventory", "--list"],
        cwd=ANSIBLE_DIR,
        env={"ANSIBLE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    inventory = json.loads(proc.stdout)
    host = "outpost-1.example.internal"
    assert inventory["outpost"]["hosts"] == [host] and inventory["minio"]["hosts"] == [host]
    hostvars = inventory["_meta"]["hostvars"][host]
    assert hostvars["outpost_buckets_teams"] == [
        {"name": "vision", "storage": "internal"},
        {"name": "nlp"},
    ]
    assert hostvars["outpost_server_storage_provider"] == "minio"
    assert hostvars["outpost_install_minio"] is True
