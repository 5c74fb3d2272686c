"""System settings: what a system admin may change at run time, declared once, as data.

Every setting has a key in ``config/defaults.toml``. The effective value comes from, in order:
the operator's configuration (``OUTPOST_CONFIG_FILE`` or an ``OUTPOST_*`` variable, shown as
managed by the environment and not editable), a value an admin saved (kept in
``instance_settings`` under ``setting:<name>``), or the default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import select

from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import InstanceSetting
from . import audit

_KEY_PREFIX = "setting:"
_CACHE = "_system_settings"
SECRET_MASK = "********"


@dataclass(frozen=True)
class SystemSetting:
    name: str
    kind: type  # bool, int, str or list
    description: str
    group: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    secret: bool = False
    check: Callable[[Any], Any] | None = None  # returns the cleaned value or raises ValueError


def _allowlist(value: list[str]) -> list[str]:
    from ..storage import StorageError, validate_allowlist

    try:
        return validate_allowlist(value)
    except StorageError as exc:
        raise ValueError(str(exc)) from None


def _email_or_empty(value: str) -> str:
    value = value.strip()
    if value and ("@" not in value or " " in value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def _hostname(value: str) -> str:
    value = value.strip()
    if any(c in value for c in "/ :@"):
        raise ValueError("give a host name only, without scheme, port or path")
    return value


def _url(value: str) -> str:
    value = value.strip().rstrip("/")
    if value and not value.startswith(("https://", "http://")):
        raise ValueError("must start with https://")
    return value


def _s(name, kind, group, description, **extra) -> SystemSetting:
    return SystemSetting(name, kind, description, group, **extra)


SETTINGS: dict[str, SystemSetting] = {
    s.name: s
    for s in [
        _s(
            "instance_name",
            str,
            "general",
            "Name shown in the console header and e-mails",
            minimum=1,
            maximum=64,
        ),
        _s("allow_user_team_creation", bool, "teams", "Every user may create teams"),
        _s("allow_public_projects", bool, "projects", "Projects may be made public"),
        _s(
            "markdown_remote_images",
            bool,
            "projects",
            "Show images from other hosts in Markdown (off: shown as links, nothing is fetched)",
        ),
        _s(
            "default_project_visibility",
            str,
            "projects",
            "Visibility of new projects",
            choices=("private", "public"),
        ),
        _s("disable_api_key_creation", bool, "security", "Users may not create API keys"),
        _s(
            "session_hours",
            int,
            "security",
            "Console session length in hours",
            minimum=1,
            maximum=24 * 90,
        ),
        _s(
            "password_min_length",
            int,
            "security",
            "Minimum length of new passwords",
            minimum=8,
            maximum=128,
        ),
        _s(
            "signup_mode",
            str,
            "security",
            "Who may create an account",
            choices=("invite_only", "open"),
        ),
        _s("banner_message", str, "general", "Message shown to every signed-in user", maximum=500),
        _s("banner_level", str, "general", "Banner style", choices=("info", "warning", "critical")),
        _s(
            "activity_retention_days",
            int,
            "retention",
            "Days of activity data kept",
            minimum=30,
            maximum=3650,
        ),
        _s(
            "audit_retention_days",
            int,
            "retention",
            "Days of audit log kept",
            minimum=30,
            maximum=3650,
        ),
        _s(
            "byob_endpoint_allowlist",
            list,
            "storage",
            "Endpoints a team's own bucket may use (secure storage connector)",
            check=_allowlist,
        ),
        _s("smtp_host", str, "email", "SMTP server host name", maximum=253, check=_hostname),
        _s("smtp_port", int, "email", "SMTP server port", minimum=1, maximum=65535),
        _s("smtp_username", str, "email", "SMTP user name", maximum=254),
        _s("smtp_password", str, "email", "SMTP password", maximum=1024, secret=True),
        _s(
            "smtp_from",
            str,
            "email",
            "Sender address of Outpost's e-mails",
            maximum=254,
            check=_email_or_empty,
        ),
        _s(
            "smtp_security",
            str,
            "email",
            "SMTP connection security",
            choices=("none", "starttls", "ssl"),
        ),
        _s("oidc_issuer", str, "sso", "OpenID Connect issuer URL", maximum=500, check=_url),
        _s("oidc_client_id", str, "sso", "OpenID Connect client ID", maximum=255),
        _s(
            "oidc_client_secret",
            str,
            "sso",
            "OpenID Connect client secret (empty for a public client)",
            maximum=1024,
            secret=True,
        ),
        _s("oidc_scopes", str, "sso", "Scopes requested at sign-in", minimum=1, maximum=255),
        _s(
            "oidc_username_claim",
            str,
            "sso",
            "ID-token claim naming a new account's username",
            minimum=1,
            maximum=64,
        ),
        _s("oidc_button_label", str, "sso", "Sign-in button text", minimum=1, maximum=64),
        _s("oidc_auto_provision", bool, "sso", "Create accounts at the first SSO sign-in"),
        _s("sso_only", bool, "sso", "Password sign-in only for break-glass system admins"),
        _s("github_client_id", str, "github", "GitHub OAuth app client ID", maximum=255),
        _s(
            "github_client_secret",
            str,
            "github",
            "GitHub OAuth app client secret",
            maximum=1024,
            secret=True,
        ),
        _s("github_authorize_url", str, "github", "GitHub authorize URL", maximum=500, check=_url),
        _s("github_token_url", str, "github", "GitHub token URL", maximum=500, check=_url),
        _s("github_api_url", str, "github", "GitHub API URL", maximum=500, check=_url),
        _s(
            "alert_webhook_allowlist",
            list,
            "security",
            "Hosts that users' Slack-style alert webhooks may point at",
            check=_allowlist,
        ),
    ]
}


def _config_source(name: str) -> str:
    source = current_app.config["OUTPOST"].sources.get(name, "default")
    return "default" if source == "default" else "environment"


def _saved() -> dict[str, Any]:
    """Values admins saved, read with one query per request."""
    if has_request_context() and _CACHE in g:
        return g.get(_CACHE)
    rows = db.session.execute(
        select(InstanceSetting.key, InstanceSetting.value).where(
            InstanceSetting.key.startswith(_KEY_PREFIX)
        )
    ).all()
    saved = {key[len(_KEY_PREFIX) :]: value for key, value in rows}
    if has_request_context():
        setattr(g, _CACHE, saved)
    return saved


def _forget() -> None:
    if has_request_context():
        g.pop(_CACHE, None)


def get_setting(name: str) -> Any:
    """The effective value of system setting ``name`` (KeyError for an unknown name)."""
    spec = SETTINGS[name]
    config_value = current_app.config["OUTPOST"].values[spec.name]
    if _config_source(name) == "environment":
        return config_value
    saved = _saved().get(name, config_value)
    if spec.secret and isinstance(saved, dict) and "sealed" in saved:
        from .secret_box import unseal

        return unseal(saved["sealed"])["value"]
    return saved


def describe_settings() -> list[dict[str, Any]]:
    """Every setting with its effective value, default and source; secrets are masked."""
    saved = _saved()
    settings = current_app.config["OUTPOST"]
    described = []
    for spec in SETTINGS.values():
        source = _config_source(spec.name)
        if source == "default" and spec.name in saved:
            source = "database"
        value = get_setting(spec.name)
        entry: dict[str, Any] = {
            "name": spec.name,
            "group": spec.group,
            "description": spec.description,
            "type": {bool: "boolean", int: "integer", str: "string", list: "list"}[spec.kind],
            "value": (SECRET_MASK if value else "") if spec.secret else value,
            "default": "" if spec.secret else settings.values[spec.name],
            "source": source,
            "editable": source != "environment",
        }
        if spec.choices:
            entry["choices"] = list(spec.choices)
        if spec.secret:
            entry["is_set"] = bool(value)
        described.append(entry)
    return described


def clean_value(spec: SystemSetting, value: Any) -> Any:
    """Check one value against its declaration; raise ValueError with a readable reason."""
    if spec.kind is bool:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
    elif spec.kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if spec.minimum is not None and value < spec.minimum:
            raise ValueError(f"must be at least {spec.minimum}")
        if spec.maximum is not None and value > spec.maximum:
            raise ValueError(f"must be at most {spec.maximum}")
    elif spec.kind is str:
        if not isinstance(value, str):
            raise ValueError("must be text")
        value = value if spec.secret else value.strip()
        if spec.choices and value not in spec.choices:
            raise ValueError(f"must be one of {', '.join(spec.choices)}")
        if spec.minimum is not None and len(value) < spec.minimum:
            raise ValueError("must not be empty")
        if spec.maximum is not None and len(value) > spec.maximum:
            raise ValueError(f"must be at most {spec.maximum} characters")
    elif spec.kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of text values")
    return spec.check(value) if spec.check else value


def update_settings(changes: dict[str, Any]) -> list[dict[str, Any]]:
    """Save ``changes`` (name → value; ``None`` returns a setting to its default) all at once.

    Raises ValidationFailed (``invalid_setting``, with one entry per bad field) for unknown
    names or bad values, and Conflict (``managed_by_environment``) for a setting the operator
    set in the environment. Nothing is saved unless every change is valid.
    """
    errors, cleaned = [], {}
    for name, value in changes.items():
        spec = SETTINGS.get(name)
        if spec is None:
            errors.append({"field": name, "message": "unknown setting"})
            continue
        if _config_source(name) == "environment":
            raise Conflict(
                f"{name} is set by the environment (OUTPOST_{name.upper()}); change it there.",
                code="managed_by_environment",
                setting=name,
            )
        try:
            cleaned[name] = None if value is None else clean_value(spec, value)
        except ValueError as exc:
            errors.append({"field": name, "message": str(exc)})
    if errors:
        raise ValidationFailed("Some settings are invalid.", code="invalid_setting", errors=errors)
    from . import instance
    from .secret_box import seal

    for name, value in cleaned.items():
        if value is None:
            instance.delete_value(_KEY_PREFIX + name)
        elif SETTINGS[name].secret:  # encrypted at rest, like connector credentials
            instance.set_value(_KEY_PREFIX + name, {"sealed": seal({"value": value})})
        else:
            instance.set_value(_KEY_PREFIX + name, value)
    audit.record(
        "system:settings_update",
        target_type="settings",
        target_name=", ".join(sorted(cleaned)),
        details={
            "changed": {
                name: (SECRET_MASK if SETTINGS[name].secret and value else value)
                for name, value in cleaned.items()
            }
        },
    )
    db.session.commit()
    _forget()
    return describe_settings()
