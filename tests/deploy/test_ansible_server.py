"""site.yml, run for real with ansible-playbook, installs Outpost into a temporary prefix: a
virtualenv with the package (its SHA-256 checked), the config file, migrations and the first
admin run as a separate service user, the systemd unit (the service manager step switched off,
as on a machine without systemd), then one bucket per team on the S3 API server through the
installed `outpost` and the config file it wrote."""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from server.config import load_settings
from tests.deploy.ansible_run import assert_succeeded, run_playbook
from tests.deploy.service_host import SYSTEM_PYTHON, ServiceHost

SECRET_KEY = "server-secret-key-for-the-ansible-test-0123456789"
ADMIN_PASSWORD = "admin-password-never-in-the-log"


def server_vars(root: Path, wheel: Path, host: ServiceHost, **overrides) -> dict:
    """Install into ``root`` for the host's service user, quickly: pip installs only the wheel
    (checked against its SHA-256) into a virtualenv that already sees the dependencies.
    Operators install from their own index (outpost_server_index_url)."""
    return {
        "outpost_server_prefix": str(root),
        "outpost_server_package_src": str(wheel),
        "outpost_server_package_sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "outpost_server_pip_args": ["--no-deps", "--no-index"],
        "outpost_server_python": SYSTEM_PYTHON,
        "outpost_server_manage_user": False,
        "outpost_server_user": host.user,
        "outpost_server_group": host.user,
        "outpost_server_manage_service": False,
        "outpost_server_secret_key": SECRET_KEY,
        "outpost_server_url": "https://outpost.example.com",
        "outpost_server_bind": "127.0.0.1:8099",
        "outpost_server_workers": 3,
        "outpost_server_trusted_proxies": 1,
        "outpost_server_ratelimit_storage_uri": "memory://",
        "outpost_server_settings": {"session_hours": 12},
        "outpost_server_admin_email": "admin@example.com",
        "outpost_server_admin_password": ADMIN_PASSWORD,
        # Modules that run as the service user need a Python it may execute (this one is
        # under /root).
        "ansible_python_interpreter": SYSTEM_PYTHON,
        **overrides,
    }


def _serve(index: Path, name: str, wheel: Path) -> None:
    """Put ``wheel`` in a PEP 503 file:// index (pip reads index.html from such an index)."""
    (index / name).mkdir(parents=True, exist_ok=True)
    shutil.copy2(wheel, index / name / wheel.name)
    link = f'<a href="{wheel.name}">{wheel.name}</a>'
    (index / name / "index.html").write_text(f"<!DOCTYPE html><html><body>{link}</body></html>")


def index_vars(root: Path, wheel: Path, host: ServiceHost) -> dict:
    """Install as operators do: `outpost==VERSION` from a named index (here a local directory
    served as a file:// index) with the wheel's SHA-256 under pip --require-hashes."""
    index = root.parent / "index"
    _serve(index, "outpost", wheel)
    # The host's /usr/bin/python3 may be older than 3.11.3, where the redis client also needs
    # async-timeout; the operator's index carries it, so this one does too.
    downloads = root.parent / "downloads"
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--dest", str(downloads), "async-timeout>=4.0.3"],
        check=True,
    )  # fmt: skip
    for found in downloads.glob("async_timeout-*.whl"):
        _serve(index, "async-timeout", found)
    return server_vars(
        root,
        wheel,
        host,
        outpost_server_package_src="",
        outpost_server_index_url=index.as_uri(),
        outpost_server_pip_args=[],
    )


def as_service_user(host: ServiceHost, root: Path, *args: str, stdin: str = ""):
    env = {"OUTPOST_CONFIG_FILE": str(root / "etc/outpost/outpost.toml"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        ["/usr/sbin/runuser", "-u", host.user, "--", str(root / "opt/outpost/venv/bin/outpost")]
        + list(args),
        env=env,
        cwd="/",
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


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
        "outpost_server_storage_provider": "s3",
        "outpost_server_storage_endpoint": s3_server.endpoint,
        "outpost_server_storage_access_key": s3_server.access_key,
        "outpost_server_storage_secret_key": s3_server.secret_key,
        "outpost_server_storage_bucket_prefix": f"site{os.getpid()}",
        "outpost_buckets_teams": [{"name": "vision"}],
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


UNIT = "etc/systemd/system/outpost.service"


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
    assert service["User"] == variables["outpost_server_user"]
    assert service["ReadWritePaths"] == f"{root}/var/lib/outpost"
    assert service["NoNewPrivileges"] == "true" and service["ProtectSystem"] == "strict"
    env_file = (root / "etc/outpost/outpost.env").read_text()
    assert f"OUTPOST_CONFIG_FILE={config}" in env_file


def assert_the_service_user_owns_its_data(host: ServiceHost, root: Path) -> None:
    """Migrations and the first admin ran as the service user: the SQLite database is its own,
    and the service (as that user) can write to it."""
    database = root / "var/lib/outpost/outpost.db"
    owner = pwd.getpwuid(database.stat().st_uid).pw_name
    assert owner == host.user, f"the database belongs to {owner}, not the service user"
    made = as_service_user(
        host,
        root,
        *("users", "create", "bob", "--email", "bob@example.com", "--password-stdin"),
        stdin="a-long-enough-password-1",
    )
    assert made.returncode == 0, made.stderr
    env_file = (root / "etc/outpost/outpost.env").read_text()
    assert "OUTPOST_TRUSTED_PROXIES=1" in env_file


def assert_maintenance_timers(root: Path, host: ServiceHost) -> None:
    """`outpost maintenance ...` on systemd timers, as the service user."""
    units = root / "etc/systemd/system"
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.optionxform = str
    service.read(units / "outpost-maintenance@.service")
    assert service["Service"]["ExecStart"].endswith("/opt/outpost/venv/bin/outpost maintenance %i")
    assert service["Service"]["User"] == host.user
    for command, calendar in [
        ("prune", "*-*-* 03:17:00"),
        ("refresh-usage", "hourly"),
        ("purge-teams", "*-*-* 04:29:00"),
    ]:
        timer = (units / f"outpost-{command}.timer").read_text()
        assert f"OnCalendar={calendar}" in timer
        assert f"Unit=outpost-maintenance@{command}.service" in timer


def assert_sandboxed(root: Path) -> None:
    report = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(root / UNIT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    level = re.search(r"Overall exposure level for outpost\.service: ([0-9.]+)", report.stdout)
    assert level, report.stdout[-2000:] + report.stderr[-2000:]
    assert float(level.group(1)) <= 3.0, report.stdout


def test_site_installs_configures_migrates_provisions_and_is_idempotent(
    tmp_path, outpost_wheel, s3_server, s3_storage, service_host
):
    root = service_host.prefix("site")
    variables = {**index_vars(root, outpost_wheel, service_host), **s3_storage}
    first = assert_succeeded(run_playbook("site.yml", tmp_path, variables))
    requirements = (root / "opt/outpost/requirements.txt").read_text()
    sha = hashlib.sha256(outpost_wheel.read_bytes()).hexdigest()
    assert requirements == f"outpost==0.1.0 --hash=sha256:{sha}\n"
    for task in (
        "Write the hashed requirements file",
        "Install Outpost 0.1.0",
        "Install the dependencies of Outpost from the same index",
        "Upgrade the database schema (outpost db upgrade)",
        "Create the first admin (outpost users create --password-stdin --system-admin)",
        "Write the systemd unit",
        "Provision the team buckets (outpost storage provision)",
    ):
        assert task in first.changed
    assert first.result("Enable and start the service")["status"] == "skipped"
    assert bucket_exists(s3_server, f"{s3_storage['outpost_server_storage_bucket_prefix']}-vision")
    for secret in (SECRET_KEY, ADMIN_PASSWORD):
        assert secret not in first.log and secret not in json.dumps(first.output)

    assert_installed(root, variables)
    assert_the_service_user_owns_its_data(service_host, root)
    assert_maintenance_timers(root, service_host)
    assert_sandboxed(root)

    again = assert_succeeded(run_playbook("site.yml", tmp_path, variables))
    assert again.stats["changed"] == 0, again.changed

    before = (root / UNIT).read_text()
    more_workers = {**variables, "outpost_server_workers": 5}
    check = assert_succeeded(run_playbook("site.yml", tmp_path, more_workers, check=True))
    assert check.changed == ["Write the systemd unit"]
    assert (root / UNIT).read_text() == before


def test_check_mode_on_a_fresh_host_reports_everything_and_writes_nothing(
    tmp_path, outpost_wheel, s3_storage, service_host
):
    root = service_host.prefix("fresh", venv=False)
    variables = server_vars(root, outpost_wheel, service_host, **s3_storage)
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


def test_missing_secret_key_is_refused_by_the_argument_spec(tmp_path, outpost_wheel, service_host):
    variables = server_vars(tmp_path / "root", outpost_wheel, service_host)
    del variables["outpost_server_secret_key"]
    run = run_playbook("server.yml", tmp_path, variables)
    assert run.rc != 0
    assert "missing required arguments: outpost_server_secret_key" in run.failure()
    assert not (tmp_path / "root").exists()


def test_a_short_secret_key_is_refused_before_anything_changes(
    tmp_path, outpost_wheel, service_host
):
    variables = server_vars(
        tmp_path / "root", outpost_wheel, service_host, outpost_server_secret_key="too-short"
    )
    run = run_playbook("server.yml", tmp_path, variables)
    assert run.rc != 0
    assert "outpost_server_secret_key must be at least 32 characters in production" in run.failure()
    assert "too-short" not in run.log and "too-short" not in json.dumps(run.output)
    assert run.changed == []
    assert not (tmp_path / "root").exists()


def test_a_wheel_that_does_not_match_its_sha256_is_refused(tmp_path, outpost_wheel, service_host):
    root = service_host.prefix("tampered", venv=False)
    wrong = "0" * 64
    variables = server_vars(root, outpost_wheel, service_host, outpost_server_package_sha256=wrong)
    run = run_playbook("server.yml", tmp_path, variables)
    assert run.rc != 0
    assert f"not outpost_server_package_sha256 {wrong}: refusing to install it" in run.failure()
    assert not (root / "opt/outpost/venv").exists()


def test_without_a_wheel_an_index_and_a_hash_are_required(tmp_path, outpost_wheel, service_host):
    """No bare `outpost==VERSION` from whatever index pip has: an unrelated project has that
    name on the public PyPI."""
    variables = server_vars(
        tmp_path / "root", outpost_wheel, service_host, outpost_server_package_src=""
    )
    run = run_playbook("server.yml", tmp_path, variables)
    assert run.rc != 0
    assert "install from outpost_server_index_url with" in run.failure()
    assert run.changed == []
