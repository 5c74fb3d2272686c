"""site.yml, run for real with ansible-playbook, installs Outpost into a temporary prefix: a
virtualenv with the package, the config file, migrations, the first admin and the systemd unit
(the service manager step switched off, as on a machine without systemd), then one bucket per
team on the S3 API server through the installed `outpost` and the config file it wrote."""

from __future__ import annotations

import configparser
import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from server.config import load_settings
from tests.deploy.ansible_run import REPO, assert_succeeded, run_playbook

SECRET_KEY = "server-secret-key-for-the-ansible-test-0123456789"
ADMIN_PASSWORD = "admin-password-never-in-the-log"


@pytest.fixture(scope="session")
def outpost_wheel(tmp_path_factory) -> Path:
    """A wheel of this checkout, built from a copy so the work tree stays clean."""
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("server", "license", "config"):
        shutil.copytree(REPO / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)],
        check=True,
        timeout=300,
    )
    return next(out.glob("outpost-*.whl"))


def server_vars(root: Path, wheel: Path, **overrides) -> dict:
    """Install into ``root`` as the current user, quickly: the venv sees the system's packages
    and pip installs only the wheel. Operators keep the defaults (a normal pip install)."""
    return {
        "outpost_prefix": str(root),
        "outpost_package_src": str(wheel),
        "outpost_pip_args": ["--no-deps", "--no-index"],
        "outpost_venv_system_site_packages": True,
        "outpost_python": sys.executable,
        "outpost_manage_user": False,
        "outpost_user": pwd.getpwuid(os.getuid()).pw_name,
        "outpost_group": grp.getgrgid(os.getgid()).gr_name,
        "outpost_manage_service": False,
        "outpost_secret_key": SECRET_KEY,
        "outpost_url": "https://outpost.example.com",
        "outpost_bind": "127.0.0.1:8099",
        "outpost_workers": 3,
        "outpost_settings": {"session_hours": 12},
        "outpost_admin_email": "admin@example.com",
        "outpost_admin_password": ADMIN_PASSWORD,
        **overrides,
    }


def outpost(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The installed command, with the config file the role wrote."""
    env = {**os.environ, "OUTPOST_CONFIG_FILE": str(root / "etc/outpost/outpost.toml")}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(root / "opt/outpost/venv/bin/outpost"), *args],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def s3_storage(s3_server):
    """Server settings for the S3 API server, under a bucket prefix of this test's own."""
    return {
        "outpost_storage_provider": "s3",
        "outpost_storage_endpoint": s3_server.endpoint,
        "outpost_storage_access_key": s3_server.access_key,
        "outpost_storage_secret_key": s3_server.secret_key,
        "outpost_storage_bucket_prefix": f"site{os.getpid()}",
        "outpost_teams": [{"name": "vision"}],
    }


def bucket_exists(s3_server, bucket: str) -> bool:
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3_server.endpoint,
        region_name=s3_server.region,
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
    )
    try:
        return bucket in [b["Name"] for b in client.list_buckets()["Buckets"]]
    finally:
        client.close()


def unit(root: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(root / "etc/systemd/system/outpost.service")
    return parser


def assert_installed(root: Path, variables: dict) -> None:
    """What a user of the host sees after the role: package, config, schema, admin, unit."""
    # The package is the venv's own copy, not the checkout or the system's.
    venv_python = root / "opt/outpost/venv/bin/python"
    where = subprocess.run(
        [str(venv_python), "-c", "import server; print(server.__file__)"],
        capture_output=True,
        text=True,
        cwd=root,
        check=True,
    ).stdout
    assert where.startswith(str(root / "opt/outpost/venv/lib"))

    config = root / "etc/outpost/outpost.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    settings = load_settings(environ={"OUTPOST_CONFIG_FILE": str(config)})
    assert (settings.env, settings.url, settings.secret_key) == (
        "production",
        "https://outpost.example.com",
        SECRET_KEY,
    )
    assert settings.session_hours == 12
    assert settings.data_dir == str(root / "var/lib/outpost")

    assert outpost(root, "db", "current").stdout.strip().endswith("(head)")
    admin = json.loads(outpost(root, "users", "show", "admin", "--json").stdout)
    assert admin == {
        "username": "admin",
        "email": "admin@example.com",
        "state": "active",
        "system_admin": True,
    }

    service = unit(root)["Service"]
    assert service["ExecStart"] == (
        f"{root}/opt/outpost/venv/bin/outpost serve --bind 127.0.0.1:8099 --workers 3 --no-migrate"
    )
    assert service["EnvironmentFile"] == f"{root}/etc/outpost/outpost.env"
    assert service["User"] == variables["outpost_user"]
    assert service["ReadWritePaths"] == f"{root}/var/lib/outpost"
    assert service["NoNewPrivileges"] == "true" and service["ProtectSystem"] == "strict"
    env_file = (root / "etc/outpost/outpost.env").read_text()
    assert f"OUTPOST_CONFIG_FILE={config}" in env_file


def test_site_installs_configures_migrates_provisions_and_is_idempotent(
    tmp_path, outpost_wheel, s3_server, s3_storage
):
    root = tmp_path / "root"
    variables = server_vars(root, outpost_wheel, **s3_storage)
    first = assert_succeeded(run_playbook("site.yml", tmp_path, variables))
    for task in (
        "Copy the Outpost package to the host",
        "Create the virtualenv",
        "Install Outpost 0.1.0",
        "Upgrade the database schema (outpost db upgrade)",
        "Create the first admin (outpost users create --password-stdin --system-admin)",
        "Write the systemd unit",
        "Provision the team buckets (outpost storage provision)",
    ):
        assert task in first.changed
    assert first.result("Enable and start the service")["status"] == "skipped"
    assert bucket_exists(s3_server, f"{s3_storage['outpost_storage_bucket_prefix']}-vision")
    for secret in (SECRET_KEY, ADMIN_PASSWORD):
        assert secret not in first.log and secret not in json.dumps(first.output)

    assert_installed(root, variables)

    again = assert_succeeded(run_playbook("site.yml", tmp_path, variables))
    assert again.stats["changed"] == 0, again.changed

    before = (root / "etc/systemd/system/outpost.service").read_text()
    more_workers = server_vars(root, outpost_wheel, **s3_storage, outpost_workers=5)
    check = assert_succeeded(run_playbook("site.yml", tmp_path, more_workers, check=True))
    assert check.changed == ["Write the systemd unit"]
    assert (root / "etc/systemd/system/outpost.service").read_text() == before


def test_check_mode_on_a_fresh_host_reports_everything_and_writes_nothing(
    tmp_path, outpost_wheel, s3_storage
):
    root = tmp_path / "fresh"
    variables = server_vars(root, outpost_wheel, **s3_storage)
    run = assert_succeeded(run_playbook("site.yml", tmp_path, variables, check=True))
    for task in (
        "Create the install directory",
        "Create the virtualenv",
        "Write the configuration file (holds secrets)",
        "In check mode, report that a new install would migrate the database",
        "In check mode, report that a new install would create the first admin",
        "Write the systemd unit",
        "In check mode, report that a new install would provision the team buckets",
    ):
        assert task in run.changed
    assert not root.exists()


def test_missing_secret_key_is_refused_by_the_argument_spec(tmp_path, outpost_wheel):
    variables = server_vars(tmp_path / "root", outpost_wheel)
    del variables["outpost_secret_key"]
    run = run_playbook("server.yml", tmp_path, variables)
    assert run.rc != 0
    assert "missing required arguments: outpost_secret_key" in run.failure()
    assert not (tmp_path / "root").exists()


def test_a_short_secret_key_is_refused_before_anything_changes(tmp_path, outpost_wheel):
    variables = server_vars(tmp_path / "root", outpost_wheel, outpost_secret_key="too-short")
    run = run_playbook("server.yml", tmp_path, variables)
    assert run.rc != 0
    assert "outpost_secret_key must be at least 32 characters in production" in run.failure()
    assert "too-short" not in run.log and "too-short" not in json.dumps(run.output)
    assert run.changed == []
    assert not (tmp_path / "root").exists()
