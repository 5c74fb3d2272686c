"""Admin › Settings: every system setting by group with its value and source, saved all at
once (errors by field), and the SMTP test e-mail."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import requires
from ..errors import OutpostError, ValidationFailed
from ..services import mail
from ..services import system_settings as service
from . import bp
from .admin_forms import RESET_PREFIX, TestEmailForm, settings_form

GROUPS = [
    ("general", "General"),
    ("security", "Sign-in and security"),
    ("sso", "Single sign-on (OpenID Connect)"),
    ("github", "GitHub connection"),
    ("teams", "Teams"),
    ("projects", "Projects"),
    ("email", "E-mail (SMTP)"),
    ("storage", "Storage"),
    ("retention", "Data retention"),
]
_WORDS = {
    "smtp": "SMTP",
    "byob": "BYOB",
    "api": "API",
    "oidc": "OIDC",
    "sso": "SSO",
    "github": "GitHub",
    "url": "URL",
}


def label(name: str) -> str:
    words = [_WORDS.get(word, word) for word in name.split("_")]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])


def _parse(entry: dict[str, Any], raw: Any) -> Any:
    """Read a form value as the setting's type; leave unreadable text for the service to
    refuse with its own message."""
    if entry["type"] == "boolean":
        return bool(raw)
    if entry["type"] == "integer":
        try:
            return int(str(raw).strip())
        except ValueError:
            return raw
    if entry["type"] == "list":
        parts = str(raw or "").replace(",", "\n").splitlines()
        return [part.strip() for part in parts if part.strip()]
    return raw if raw is not None else ""


def _changes(form, described: list[dict[str, Any]]) -> dict[str, Any]:
    """Only what differs from the effective value, so untouched settings keep their source."""
    changes: dict[str, Any] = {}
    for entry in described:
        if not entry["editable"]:
            continue
        name = entry["name"]
        reset = getattr(form, RESET_PREFIX + name, None)
        if reset is not None and reset.data:
            changes[name] = None
            continue
        raw = getattr(form, name).data
        if entry.get("is_set") is not None:  # a secret: empty keeps the saved one
            if raw:
                changes[name] = raw
            continue
        value = _parse(entry, raw)
        if value != entry["value"]:
            changes[name] = value
    return changes


def _render(form, described, errors=None, status=200):
    return render_settings(form, described, errors, status)


def render_settings(form, described, errors=None, status=200, only: str | None = None, extra=None):
    """The settings page, or with ``only`` the page of one group (Admin › Sign-in: "sso")."""
    by_group = {key: [] for key, _ in GROUPS}
    for entry in described:
        by_group.setdefault(entry["group"], []).append(entry)
    test_form = TestEmailForm(formdata=None, to=current_user.email or "")  # only its data is used
    page = render_template(
        "admin/settings.html",
        admin_section="sign-in" if only == "sso" else "settings",
        groups=[
            (key, title, by_group[key])
            for key, title in GROUPS
            if by_group.get(key) and only in (None, key)
        ],
        only=only,
        form=form,
        errors=errors or {},
        label=label,
        reset_prefix=RESET_PREFIX,
        test_form=test_form,
        smtp_configured=mail.is_configured(),
        **(extra or {}),
    )
    return page, status


@bp.get("/admin/settings")
@requires("system:settings")
def admin_settings():
    described = service.describe_settings()
    return _render(settings_form(described), described)


@bp.post("/admin/settings")
@requires("system:settings")
def save_admin_settings():
    # Admin › Sign-in posts its own group only: the other settings' fields are not on its page.
    only = "sso" if request.form.get("page") == "sign-in" else None
    described = [e for e in service.describe_settings() if only in (None, e["group"])]
    form = settings_form(described)
    if not form.validate_on_submit():
        flash("The form was not accepted. Check the fields marked below.", "error")
        errors = {name: messages[0] for name, messages in form.errors.items()}
        return render_settings(form, described, errors, 422, only)
    changes = _changes(form, described)
    if not changes:
        flash("Nothing changed.", "success")
        return redirect(url_for("console.admin_settings"))
    try:
        service.update_settings(changes)
    except ValidationFailed as error:
        errors = {e["field"]: e["message"] for e in error.details.get("errors", [])}
        flash(error.message + " Nothing was saved.", "error")
        return render_settings(form, described, errors, error.status, only)
    except OutpostError as error:
        flash(error.message, "error")
        return render_settings(form, described, None, error.status, only)
    flash(f"Saved: {', '.join(label(name) for name in sorted(changes))}.", "success")
    if only:
        return redirect(url_for("console.admin_sign_in"))
    return redirect(url_for("console.admin_settings"))


@bp.post("/admin/settings/test-email")
@requires("system:settings")
def send_test_email():
    form = TestEmailForm()
    if not form.validate_on_submit():
        flash("Give an e-mail address to send the test to.", "error")
        return redirect(url_for("console.admin_settings", _anchor="email"))
    try:
        server = mail.send_test_email(form.to.data)
    except OutpostError as error:
        flash(f"The test e-mail was not sent: {error.message}", "error")
    else:
        flash(f"Test e-mail sent to {form.to.data} via {server}.", "success")
    return redirect(url_for("console.admin_settings", _anchor="email"))
