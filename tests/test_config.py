"""Settings: defaults, environment overrides and refusals that name the setting."""

import pytest

from server import create_app
from server.config import ConfigError, load_settings


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
