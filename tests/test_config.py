"""Settings: defaults, environment overrides and refusals that name the setting."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server import create_app
from server.config import ConfigError, load_settings
from tests.fixtures.ports import free_port

REPO = Path(__file__).resolve().parent.parent


def test_defaults_are_the_embedded_ones():
    settings = load_settings(environ={})
    assert settings.storage_provider == "filesystem"
    assert settings.env == "development"
    assert settings.sources["database_url"] == "default"


def test_environment_overrides_and_types():
    settings = load_settings(
        environ={"OUTPOST_SESSION_HOURS": "8", "OUTPOST_LICENSE_EXTRA_PUBLIC_KEYS": "a.pem, b.pem"}
    )
    assert settings.session_hours == 8
    assert settings.license_extra_public_keys == ["a.pem", "b.pem"]
    assert settings.sources["session_hours"] == "environment"


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("OUTPOST_SESSION_HOURS", "eight", "OUTPOST_SESSION_HOURS"),
        ("OUTPOST_ENV", "staging", "OUTPOST_ENV"),
        ("OUTPOST_STORAGE_PROVIDER", "ftp", "OUTPOST_STORAGE_PROVIDER"),
        ("OUTPOST_URL", "example.com", "OUTPOST_URL"),
        ("OUTPOST_SESSION_HOURS", "0", "OUTPOST_SESSION_HOURS"),
        ("OUTPOST_TRUSTED_PROXIES", "-1", "OUTPOST_TRUSTED_PROXIES"),
        ("OUTPOST_TRUSTED_PROXIES", "10.0.0.0/8", "OUTPOST_TRUSTED_PROXIES"),
        ("OUTPOST_CSP_IMAGE_SOURCES", "https://x.org; script-src *", "OUTPOST_CSP_IMAGE_SOURCES"),
        ("OUTPOST_CSP_IMAGE_SOURCES", "'unsafe-inline'", "OUTPOST_CSP_IMAGE_SOURCES"),
    ],
)
def test_malformed_setting_is_refused_by_name(variable, value, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(environ={variable: value})


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigError, match="OUTPOST_SECRET_KEY"):
        create_app(environ={"OUTPOST_ENV": "production"})


def test_production_with_a_secret_sets_secure_cookies(tmp_path):
    app = create_app(
        environ={
            "OUTPOST_ENV": "production",
            "OUTPOST_SECRET_KEY": "s" * 40,
            "OUTPOST_DATA_DIR": str(tmp_path),
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_config_file_layer_sits_between_defaults_and_environment(tmp_path):
    path = tmp_path / "outpost.toml"
    path.write_text('session_hours = 4\nurl = "https://outpost.example.com"\n')
    settings = load_settings(
        environ={"OUTPOST_CONFIG_FILE": str(path), "OUTPOST_SESSION_HOURS": "6"}
    )
    assert settings.session_hours == 6
    assert settings.url == "https://outpost.example.com"
    assert settings.sources["url"] == "file"


def test_development_secret_key_is_generated_once_per_data_dir(tmp_path):
    first = create_app(environ={"OUTPOST_DATA_DIR": str(tmp_path)})
    second = create_app(environ={"OUTPOST_DATA_DIR": str(tmp_path)})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


# -- refusals at start --------------------------------------------------------------------------

LEAKED_KEY_PATH = "outpost-data/secret_key"
# committed in 7f159d6; anyone can read it, which is why the server refuses it
PUBLISHED_KEY = "YEiXF3Y39bfQxtiyb88MtS7DGAGl6eQrKyQeEiBfc24a6Hk_0MUQeW8IKfYKcpQO"


def _serve(env_extra: dict, tmp_path) -> subprocess.CompletedProcess:
    """``outpost serve`` from this checkout with only the given OUTPOST_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
    env.update({"OUTPOST_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path), **env_extra})
    args = [sys.executable, "-m", "server.cli", "serve", "--bind", f"127.0.0.1:{free_port()}"]
    return subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_production_with_extra_license_keys_refuses_to_start(tmp_path, vendor_key):
    result = _serve(
        {
            "OUTPOST_ENV": "production",
            "OUTPOST_SECRET_KEY": "s" * 40,
            "OUTPOST_LICENSE_EXTRA_PUBLIC_KEYS": str(vendor_key[1]),
        },
        tmp_path,
    )
    assert result.returncode == 2
    assert "OUTPOST_LICENSE_EXTRA_PUBLIC_KEYS" in result.stderr
    assert "Outpost listening" not in result.stdout


def test_extra_license_keys_are_accepted_in_development(tmp_path, vendor_key):
    settings = load_settings(environ={"OUTPOST_LICENSE_EXTRA_PUBLIC_KEYS": str(vendor_key[1])})
    assert settings.license_extra_public_keys == [str(vendor_key[1])]


def _published_key() -> str:
    """The secret key once committed to this repository (public, hence refused)."""
    return PUBLISHED_KEY


def test_the_published_secret_key_is_no_longer_tracked():
    tracked = subprocess.run(
        ["git", "ls-files", "outpost-data"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert tracked.stdout == ""
    ignored = subprocess.run(["git", "check-ignore", "-q", LEAKED_KEY_PATH], cwd=REPO, check=False)
    assert ignored.returncode == 0


def test_a_published_secret_key_is_refused_by_name(tmp_path):
    result = _serve({"OUTPOST_ENV": "production", "OUTPOST_SECRET_KEY": _published_key()}, tmp_path)
    assert result.returncode == 2
    assert "OUTPOST_SECRET_KEY is a publicly known key" in result.stderr
    with pytest.raises(ConfigError, match="OUTPOST_SECRET_KEY"):
        load_settings(environ={"OUTPOST_SECRET_KEY": _published_key() + "\n"})


def test_a_data_dir_holding_a_published_key_gets_a_new_one(tmp_path):
    leaked = _published_key()
    (tmp_path / "secret_key").write_text(leaked)
    app = create_app(environ={"OUTPOST_DATA_DIR": str(tmp_path)})
    assert app.config["SECRET_KEY"] != leaked.strip()
    assert len(app.config["SECRET_KEY"]) >= 32
    assert (tmp_path / "secret_key").read_text() == app.config["SECRET_KEY"]
    again = create_app(environ={"OUTPOST_DATA_DIR": str(tmp_path)})
    assert again.config["SECRET_KEY"] == app.config["SECRET_KEY"]
