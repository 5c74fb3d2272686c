"""Configuration: documented defaults in ``config/defaults.toml``, overridden by an optional
operator file (``OUTPOST_CONFIG_FILE``) and by ``OUTPOST_*`` environment variables.

The loaded settings are plain data (:class:`Settings`); ``create_app`` maps them onto Flask's
config. Nothing here touches the network or the database.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "OUTPOST_"
WORKER_CLASSES = ("gthread", "sync")
_DEFAULTS_NAME = "defaults.toml"

# SHA-256 fingerprints of secret keys that were published (committed to a repository). Anyone
# can forge sessions and CSRF tokens signed with them, so the server refuses to use them.
LEAKED_SECRET_KEY_FINGERPRINTS = frozenset(
    {
        # outpost-data/secret_key, committed to the Outpost repository before 0.1.1
        "96ea177bc8c0b1a3cdd9b837a5b61ae22f1bb94343da95534fa5c888d455e207",
    }
)


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the setting and what to do."""


def defaults_path() -> Path:
    """Locate ``config/defaults.toml`` in a source checkout or an installed prefix."""
    candidates = [
        Path(__file__).resolve().parent.parent / "config" / _DEFAULTS_NAME,
        Path(sys.prefix) / "share" / "outpost" / "config" / _DEFAULTS_NAME,
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise ConfigError(
        f"Default configuration not found (looked in {', '.join(map(str, candidates))})."
    )


def load_defaults() -> dict[str, Any]:
    with defaults_path().open("rb") as fh:
        return tomllib.load(fh)


def _coerce(name: str, raw: Any, default: Any, source: str) -> Any:
    """Read ``raw`` as the type of ``default``; raise ConfigError naming the setting."""
    where = f"{ENV_PREFIX}{name.upper()}" if source == "environment" else f"{name} ({source})"
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{where} must be true or false, got {raw!r}.")
    if isinstance(default, float):
        try:
            if isinstance(raw, bool):
                raise ValueError
            return float(str(raw).strip())
        except ValueError:
            raise ConfigError(f"{where} must be a number, got {raw!r}.") from None
    if isinstance(default, int):
        try:
            if isinstance(raw, bool):
                raise ValueError
            return int(str(raw).strip())
        except ValueError:
            raise ConfigError(f"{where} must be a whole number, got {raw!r}.") from None
    if isinstance(default, list):
        if isinstance(raw, list):
            return [str(item) for item in raw]
        return [part.strip() for part in str(raw).split(",") if part.strip()]
    if not isinstance(raw, str):
        raise ConfigError(f"{where} must be text, got {raw!r}.")
    return raw


@dataclass(frozen=True)
class Settings:
    """Effective settings plus where each came from (``default``, ``file``, ``environment``)."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Load and validate settings. ``overrides`` (tests) win over everything.

    Raises ConfigError for an unknown override, a malformed value or a missing production secret.
    """
    environ = os.environ if environ is None else environ
    defaults = load_defaults()
    values = dict(defaults)
    sources = dict.fromkeys(defaults, "default")

    layers: list[tuple[str, Mapping[str, Any]]] = []
    config_file = environ.get(f"{ENV_PREFIX}CONFIG_FILE")
    if config_file:
        try:
            with open(config_file, "rb") as fh:
                layers.append(("file", tomllib.load(fh)))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(
                f"{ENV_PREFIX}CONFIG_FILE ({config_file}) cannot be read: {exc}"
            ) from None
    env_layer = {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and key[len(ENV_PREFIX) :].lower() in defaults
    }
    layers.append(("environment", env_layer))
    if overrides:
        unknown = sorted(set(overrides) - set(defaults))
        if unknown:
            raise ConfigError(f"Unknown setting(s): {', '.join(unknown)}.")
        layers.append(("override", overrides))

    for source, layer in layers:
        for name, raw in layer.items():
            if name not in defaults:
                raise ConfigError(f"Unknown setting {name!r} in {source}.")
            values[name] = _coerce(name, raw, defaults[name], source)
            sources[name] = source
    _validate(values)
    return Settings(values=values, sources=sources)


def _validate(values: dict[str, Any]) -> None:
    if values["env"] not in {"development", "production"}:
        raise ConfigError(
            f"{ENV_PREFIX}ENV must be 'development' or 'production', got {values['env']!r}."
        )
    if values["env"] == "production" and len(values["secret_key"]) < 32:
        raise ConfigError(
            f"Production mode needs a secret key: set {ENV_PREFIX}SECRET_KEY to a random string of "
            "at least 32 characters (for example: python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))')."
        )
    if values["secret_key"] and is_leaked_secret_key(values["secret_key"]):
        raise ConfigError(
            f"{ENV_PREFIX}SECRET_KEY is a publicly known key (it was committed to a source "
            "repository): anyone could forge sessions with it. Set it to a new random string of "
            "at least 32 characters (python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    if values["env"] == "production" and values["license_extra_public_keys"]:
        raise ConfigError(
            f"{ENV_PREFIX}LICENSE_EXTRA_PUBLIC_KEYS is set, but extra trusted license keys are "
            "accepted only outside production: remove the variable (only the bundled vendor keys "
            f"are trusted in production) or set {ENV_PREFIX}ENV=development."
        )
    if values["sqlite_synchronous"].lower() not in {"full", "normal"}:
        raise ConfigError(
            f"{ENV_PREFIX}SQLITE_SYNCHRONOUS must be 'full' or 'normal', "
            f"got {values['sqlite_synchronous']!r}."
        )
    if values["server_worker_class"] not in WORKER_CLASSES:
        raise ConfigError(
            f"{ENV_PREFIX}SERVER_WORKER_CLASS must be one of {', '.join(WORKER_CLASSES)}; "
            f"got {values['server_worker_class']!r}."
        )
    if not 1 <= values["server_threads"] <= 256:
        raise ConfigError(f"{ENV_PREFIX}SERVER_THREADS must be from 1 to 256.")
    if values["log_format"] not in {"json", "text"}:
        raise ConfigError(f"{ENV_PREFIX}LOG_FORMAT must be 'json' or 'text'.")
    if values["storage_provider"] not in {"filesystem", "s3", "minio", "gcs"}:
        raise ConfigError(
            f"{ENV_PREFIX}STORAGE_PROVIDER must be one of filesystem, s3, minio, gcs; "
            f"got {values['storage_provider']!r}."
        )
    for name in (
        "storage_connect_timeout",
        "storage_read_timeout",
        "storage_max_attempts",
        "readiness_timeout",
        "outbound_timeout",
        "sqlite_busy_timeout_ms",
        "session_hours",
        "password_min_length",
        "storage_download_url_seconds",
        "storage_upload_url_seconds",
    ):
        if values[name] <= 0:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be greater than zero.")
    from .storage.errors import StorageError
    from .storage.naming import validate_bucket_prefix

    try:
        validate_bucket_prefix(values["storage_bucket_prefix"])
    except StorageError as exc:
        raise ConfigError(f"{ENV_PREFIX}STORAGE_BUCKET_PREFIX: {exc}") from None
    if not 0 <= values["trusted_proxies"] <= 10:
        raise ConfigError(
            f"{ENV_PREFIX}TRUSTED_PROXIES is the number of reverse proxies in front of Outpost "
            f"(0 to 10), got {values['trusted_proxies']}."
        )
    for source in values["csp_image_sources"]:
        if not re.fullmatch(r"https?://[A-Za-z0-9*.-]+(:[0-9]+)?", source):
            raise ConfigError(
                f"{ENV_PREFIX}CSP_IMAGE_SOURCES takes origins such as https://img.shields.io, "
                f"got {source!r}."
            )
    if not values["url"].startswith(("http://", "https://")):
        raise ConfigError(f"{ENV_PREFIX}URL must start with http:// or https://.")


def data_dir(settings: Settings) -> Path:
    return Path(settings.data_dir).expanduser().resolve()


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{data_dir(settings) / 'outpost.db'}"


def is_leaked_secret_key(key: str) -> bool:
    """True when ``key`` is one of the published keys the server must never sign with."""
    digest = hashlib.sha256(key.strip().encode()).hexdigest()
    return digest in LEAKED_SECRET_KEY_FINGERPRINTS


def development_secret_key(settings: Settings) -> str:
    """The persistent per-data-directory key used in development when none is configured.

    A file holding a published key (see LEAKED_SECRET_KEY_FINGERPRINTS) is replaced by a new
    random key, with a warning on stderr.
    """
    path = data_dir(settings) / "secret_key"
    if path.is_file():
        key = path.read_text().strip()
        if not is_leaked_secret_key(key):
            return key
        print(
            f"WARNING: {path} holds a publicly known secret key (it was committed to a source "
            "repository); replacing it with a new random key. Existing sessions end, and "
            "connector credentials or webhook URLs saved under the old key must be entered "
            "again.",
            file=sys.stderr,
        )
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
