"""The outpost_minio role, run for real with ansible-playbook into a temporary prefix.

No MinIO server binary can be had on this machine (no download), so the role installs a stand-in
executable from a local file:// URL (checked against its SHA-256) with the service
step off; what is checked is everything the role writes: binary, data dir, credentials file and
unit, idempotence and check mode. Starting MinIO under systemd is not exercised here.
"""

from __future__ import annotations

import configparser
import grp
import hashlib
import json
import os
import pwd
import re
import stat
import subprocess
from pathlib import Path

from tests.deploy.ansible_run import assert_succeeded, run_playbook

ROOT_PASSWORD = "minio-root-password-never-in-the-log"
STAND_IN = '#!/bin/sh\n# stand-in for the MinIO server binary in tests\necho minio "$@"\n'


def minio_vars(tmp_path: Path, **overrides) -> dict:
    """The role downloads a local file:// artefact, checked against its SHA-256."""
    binary = tmp_path / "minio-stand-in"
    binary.write_text(STAND_IN)
    binary.chmod(0o755)
    return {
        "outpost_minio_binary_url": binary.as_uri(),
        "outpost_minio_binary_sha256": hashlib.sha256(STAND_IN.encode()).hexdigest(),
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
    download = "Download and check against its SHA-256 the MinIO-compatible server "
    assert download + "RELEASE.2026-03-25T00-00-00Z" in first.changed
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
    assert service["CapabilityBoundingSet"] == "" and service["ProtectSystem"] == "strict"
    report = subprocess.run(
        [
            "systemd-analyze",
            "security",
            "--offline=true",
            str(root / "etc/systemd/system/minio.service"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    level = re.search(r"Overall exposure level for minio\.service: ([0-9.]+)", report.stdout)
    assert level and float(level.group(1)) <= 3.0, report.stdout[-2000:] + report.stderr

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


def test_an_artefact_that_does_not_match_its_sha256_is_not_installed(tmp_path):
    run = run_playbook(
        "minio.yml", tmp_path, minio_vars(tmp_path, outpost_minio_binary_sha256="0" * 64)
    )
    assert run.rc != 0
    assert "checksum" in run.failure().lower()
    assert not (tmp_path / "root/usr/local/bin/minio").exists()


def test_without_a_sha256_nothing_is_downloaded(tmp_path):
    run = run_playbook("minio.yml", tmp_path, minio_vars(tmp_path, outpost_minio_binary_sha256=""))
    assert run.rc != 0
    assert "outpost_minio_binary_sha256 (64 hex digits" in run.failure()
    assert run.changed == []
