"""The vendor tool end to end: ``python -m license keygen | issue | inspect``."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from license import KeySet
from license.__main__ import main

REPO_ROOT = Path(__file__).resolve().parents[2]
KID = "dev-laptop-1"


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # Import this checkout's package, whatever else is installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "license", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def vendor(tmp_path: Path) -> Path:
    """A tmp dir holding a freshly generated key pair (private.pem, public.pem)."""
    result = run(
        "keygen",
        "--kid",
        KID,
        "--out-private",
        "private.pem",
        "--out-public",
        "public.pem",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return tmp_path


def issue(vendor: Path, *extra: str) -> str:
    result = run(
        "issue",
        "--private-key",
        "private.pem",
        "--kid",
        KID,
        "--customer",
        "Acme Research",
        "--email",
        "it@acme.test",
        "--seats",
        "25",
        *extra,
        cwd=vendor,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def inspect(vendor: Path, token: str, *extra: str) -> subprocess.CompletedProcess:
    return run("inspect", token, "--public-key", "public.pem", *extra, cwd=vendor)


def test_keygen_writes_a_private_key_only_its_owner_can_read(vendor):
    private, public = vendor / "private.pem", vendor / "public.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert "PRIVATE KEY" in private.read_text()
    assert "PRIVATE" not in public.read_text()
    assert "BEGIN PUBLIC KEY" in public.read_text()


def test_keygen_prints_a_key_set_entry(tmp_path):
    result = run(
        "keygen", "--kid", "k1", "--out-private", "a.pem", "--out-public", "b.pem", cwd=tmp_path
    )
    entry = json.loads(result.stdout)
    assert entry["kid"] == "k1"
    assert entry["public_key"] == (tmp_path / "b.pem").read_text()
    assert KeySet.from_json(json.dumps({"keys": [entry]})).kids == ("k1",)
    assert "never commit" in result.stderr


def test_keygen_refuses_to_overwrite_without_force(vendor):
    before = (vendor / "private.pem").read_text()
    result = run(
        "keygen",
        "--kid",
        KID,
        "--out-private",
        "private.pem",
        "--out-public",
        "new-public.pem",
        cwd=vendor,
    )
    assert result.returncode == 2
    assert "already exists" in result.stderr
    assert (vendor / "private.pem").read_text() == before
    assert not (vendor / "new-public.pem").exists()


def test_keygen_force_replaces_the_key_and_tightens_permissions(vendor):
    private = vendor / "private.pem"
    before = private.read_text()
    private.chmod(0o644)
    result = run(
        "keygen",
        "--kid",
        KID,
        "--out-private",
        "private.pem",
        "--out-public",
        "public.pem",
        "--force",
        cwd=vendor,
    )
    assert result.returncode == 0, result.stderr
    assert private.read_text() != before
    assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_issue_then_inspect_round_trip(vendor):
    token = issue(
        vendor,
        "--days",
        "365",
        "--max-teams",
        "4",
        "--feature",
        "custom_roles",
        "--feature",
        "view_only",
        "--instance-id",
        "inst-1",
        "--grace-days",
        "7",
    )
    result = inspect(vendor, token)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "State:       valid" in result.stdout
    assert "Acme Research <it@acme.test>" in result.stdout
    assert "custom_roles, view_only" in result.stdout
    assert "Max teams:   4" in result.stdout
    assert "Instance:    inst-1" in result.stdout
    assert f"Signed by:   {KID}" in result.stdout


def test_inspect_json(vendor):
    token = issue(
        vendor,
        "--expires",
        "2030-01-31",
        "--not-before",
        "2029-01-01",
        "--feature",
        "service_accounts",
        "--feature",
        "gpu_quotas",
        "--trial",
    )
    result = inspect(vendor, token, "--json", "--at", "2029-06-01")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["state"] == "valid"
    assert report["edition"] == "enterprise"
    assert report["verified"] is True
    claims = report["license"]
    assert claims["expires_at"] == "2030-01-31T00:00:00+00:00"
    assert claims["not_before"] == "2029-01-01T00:00:00+00:00"
    assert claims["features"] == ["gpu_quotas", "service_accounts"]
    assert claims["unknown_features"] == ["gpu_quotas"]
    assert claims["trial"] is True
    assert claims["seats"] == 25
    assert claims["max_teams"] is None
    assert claims["grace_days"] == 14


def test_issue_warns_about_unknown_features_but_keeps_them(vendor):
    result = run(
        "issue",
        "--private-key",
        "private.pem",
        "--kid",
        KID,
        "--customer",
        "A",
        "--email",
        "a@a.test",
        "--seats",
        "1",
        "--days",
        "10",
        "--feature",
        "gpu_quotas",
        cwd=vendor,
    )
    assert result.returncode == 0
    assert "gpu_quotas" in result.stderr
    assert "gpu_quotas" in inspect(vendor, result.stdout.strip()).stdout


@pytest.mark.parametrize(
    "at, state, code",
    [
        ("2030-01-20", "expiring_soon", 0),
        ("2030-02-05", "in_grace", 0),
        ("2030-02-20", "expired", 3),
        ("2028-12-01", "invalid", 1),
    ],
)
def test_inspect_states_and_exit_codes(vendor, at, state, code):
    token = issue(vendor, "--expires", "2030-02-01", "--not-before", "2029-01-01")
    result = inspect(vendor, token, "--json", "--at", at)
    assert json.loads(result.stdout)["state"] == state
    assert result.returncode == code


def test_issue_writes_to_a_file_and_inspect_reads_files_and_stdin(vendor):
    issue(vendor, "--days", "30", "--out", "acme.license")
    token = (vendor / "acme.license").read_text().strip()
    assert inspect(vendor, "acme.license").returncode == 0
    from_stdin = run("inspect", "-", "--public-key", "public.pem", cwd=vendor, stdin=token)
    assert from_stdin.returncode == 0, from_stdin.stdout


def test_inspect_without_the_dev_key_reports_unknown_key(vendor):
    token = issue(vendor, "--days", "30")
    result = run("inspect", token, cwd=vendor)
    assert result.returncode == 1
    assert "Error code:  unknown_key" in result.stdout
    assert "NOT verified" in result.stdout  # the claims are still shown, clearly marked


def test_inspect_refuses_a_tampered_token(vendor):
    token = issue(vendor, "--days", "30")
    header, payload, signature = token.split(".")
    other = issue(vendor, "--days", "30", "--seats", "9999").split(".")[1]
    result = inspect(vendor, f"{header}.{other}.{signature}", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["error_code"] == "bad_signature"
    assert report["license"] is None
    assert report["unverified_claims"]["seats"] == 9999


def test_inspect_garbage_and_wrong_instance(vendor):
    garbage = inspect(vendor, "not-a-token")
    assert garbage.returncode == 1
    assert "malformed" in garbage.stdout
    token = issue(vendor, "--days", "30", "--instance-id", "inst-a")
    wrong = inspect(vendor, token, "--instance-id", "inst-b")
    assert wrong.returncode == 1
    assert "wrong_instance" in wrong.stdout


def test_usage_errors_exit_2(vendor):
    both = run(
        "issue",
        "--private-key",
        "private.pem",
        "--kid",
        KID,
        "--customer",
        "A",
        "--email",
        "a@a.test",
        "--seats",
        "1",
        "--days",
        "1",
        "--expires",
        "2030-01-01",
        cwd=vendor,
    )
    assert both.returncode == 2
    negative = run(
        "issue",
        "--private-key",
        "private.pem",
        "--kid",
        KID,
        "--customer",
        "A",
        "--email",
        "a@a.test",
        "--seats",
        "-3",
        "--days",
        "1",
        cwd=vendor,
    )
    assert negative.returncode == 2
    zero_days = run(
        "issue",
        "--private-key",
        "private.pem",
        "--kid",
        KID,
        "--customer",
        "A",
        "--email",
        "a@a.test",
        "--seats",
        "1",
        "--days",
        "0",
        cwd=vendor,
    )
    assert zero_days.returncode == 2
    assert "one or more" in zero_days.stderr
    no_key = run(
        "issue",
        "--private-key",
        "missing.pem",
        "--kid",
        KID,
        "--customer",
        "A",
        "--email",
        "a@a.test",
        "--seats",
        "1",
        "--days",
        "1",
        cwd=vendor,
    )
    assert no_key.returncode == 2
    assert "missing.pem" in no_key.stderr
    public_as_private = run(
        "issue",
        "--private-key",
        "public.pem",
        "--kid",
        KID,
        "--customer",
        "A",
        "--email",
        "a@a.test",
        "--seats",
        "1",
        "--days",
        "1",
        cwd=vendor,
    )
    assert public_as_private.returncode == 2


def test_entry_point_returns_the_exit_code(capsys):
    assert main(["inspect", "garbage"]) == 1
    assert "malformed" in capsys.readouterr().out
