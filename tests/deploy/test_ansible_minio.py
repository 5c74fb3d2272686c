"""The outpost_minio role, run for real with ansible-playbook into a temporary prefix.

No MinIO server binary can be had on this machine (no download), so the role installs a stand-in
executable from a local file (`outpost_minio_binary_src`, for offline installs) with the service
step off; what is checked is everything the role writes: binary, data dir, credentials file and
unit, idempotence and check mode. Starting MinIO under systemd is not exercised here.
"""

from __future__ import annotations

import configparser
import grp
import json
import os
import pwd
import stat
from pathlib import Path

from tests.deploy.ansible_run import assert_succeeded, run_playbook

ROOT_PASSWORD = "minio-root-password-never-in-the-log"
STAND_IN = '#!/bin/sh\n# stand-in for the MinIO server binary in tests\necho minio "$@"\n'


def minio_vars(tmp_path: Path, **overrides) -> dict:
    binary = tmp_path / "minio-stand-in"
    binary.write_text(STAND_IN)
    binary.chmod(0o755)
    return {
        "outpost_minio_binary_src": str(binary),
        "outpost_minio_prefix": str(tmp_path / "root"),
        "outpost_minio_manage_user": False,
        "outpost_minio_user": pwd.getpwuid(os.getuid()).pw_name,
        "outpost_minio_group": grp.getgrgid(os.getgid()).gr_name,
        "outpost_minio_manage_service": False,
        "outpost_minio_root_user": "outpost",
        "outpost_minio_root_password": ROOT_PASSWORD,
        "outpost_minio_address": "127.0.0.1:9100",
        **overrides,
    }


def test_minio_role_installs_binary_credentials_and_unit_idempotently(tmp_path):
    root = tmp_path / "root"
    first = assert_succeeded(run_playbook("minio.yml", tmp_path, minio_vars(tmp_path)))
    assert "Install the MinIO server from " + str(tmp_path / "minio-stand-in") in first.changed
    assert first.result("Download the MinIO server RELEASE.2024-12-18T13-15-44Z")["status"] == (
        "skipped"
    )
    assert first.result("Enable and start MinIO")["status"] == "skipped"
    assert ROOT_PASSWORD not in first.log and ROOT_PASSWORD not in json.dumps(first.output)

    binary = root / "usr/local/bin/minio"
    assert binary.read_text() == STAND_IN
    assert stat.S_IMODE(binary.stat().st_mode) == 0o755
    assert (root / "var/lib/minio").is_dir()
    env_file = root / "etc/default/minio"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640
    env = dict(
        line.split("=", 1)
        for line in env_file.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert env["MINIO_ROOT_USER"] == "outpost"
    assert env["MINIO_ROOT_PASSWORD"] == ROOT_PASSWORD
    assert env["MINIO_VOLUMES"] == str(root / "var/lib/minio")
    assert env["MINIO_OPTS"] == '"--address 127.0.0.1:9100"'

    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(root / "etc/systemd/system/minio.service")
    service = parser["Service"]
    assert service["ExecStart"] == f"{binary} server $MINIO_OPTS $MINIO_VOLUMES"
    assert service["EnvironmentFile"] == str(env_file)
    assert service["ReadWritePaths"] == str(root / "var/lib/minio")

    again = assert_succeeded(run_playbook("minio.yml", tmp_path, minio_vars(tmp_path)))
    assert again.stats["changed"] == 0, again.changed

    rotated = minio_vars(tmp_path, outpost_minio_root_password="a-new-root-password")
    check = assert_succeeded(run_playbook("minio.yml", tmp_path, rotated, check=True))
    assert check.changed == ["Write the environment file with the root credentials"]
    assert f"MINIO_ROOT_PASSWORD={ROOT_PASSWORD}" in env_file.read_text()


def test_a_short_root_password_is_refused_without_printing_it(tmp_path):
    run = run_playbook(
        "minio.yml", tmp_path, minio_vars(tmp_path, outpost_minio_root_password="shortpw")
    )
    assert run.rc != 0
    assert "a root password of 8+ characters" in run.failure()
    assert "shortpw" not in run.log and "shortpw" not in json.dumps(run.output)
    assert run.changed == []
    assert not (tmp_path / "root").exists()
