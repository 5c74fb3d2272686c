"""Admin › License: status (edition, customer, expiry, seats, features), upload by file or
paste with a clear message for each refusal, removal. Reachable in every license state."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from ..auth import requires
from ..errors import OutpostError, ValidationFailed
from ..services import instance, licensing
from ..services.seats import active_full_seats
from . import bp
from .admin_forms import LicenseForm
from .forms import ConfirmForm

MAX_LICENSE_BYTES = 64 * 1024
# A headline for each refusal; the license package's message says the details and what to do.
REFUSALS = {
    "malformed": "This is not a license",
    "wrong_algorithm": "Wrong signing algorithm",
    "unknown_key": "Signed by an unknown vendor key",
    "bad_signature": "The signature does not match",
    "expired": "This license has expired",
    "not_yet_valid": "This license is not valid yet",
    "wrong_instance": "Bound to another instance",
    "insufficient_seats": "Too few seats for the active users",
    "older_license": "Older than the installed license",
    "key_config": "Vendor key configuration problem",
    "managed_by_environment": "The license is managed by the environment",
    "no_license_given": "No license given",
}


def _render(form=None, refusal=None, status=200):
    current = licensing.current_status()
    source = licensing.license_source()
    return render_template(
        "admin/license.html",
        admin_section="license",
        status=current,
        source=source,
        development_key=licensing.signed_by_development_key(current),
        seats_used=active_full_seats(),
        seats_licensed=licensing.seat_limit(),
        instance_id=instance.instance_id(),
        form=form or LicenseForm(formdata=None),
        confirm=ConfirmForm(formdata=None),
        refusal=refusal,
    ), status


@bp.get("/admin/license")
@requires("system:license")
def admin_license():
    return _render()


def _token(form: LicenseForm) -> str:
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        data = upload.read(MAX_LICENSE_BYTES + 1)
        if len(data) > MAX_LICENSE_BYTES:
            raise ValidationFailed(
                "This file is far larger than a license (at most 64 KiB). Choose the license "
                "file your vendor sent.",
                code="malformed",
            )
        return data.decode("utf-8", errors="replace").strip()
    return (form.token.data or "").strip()


def _refusal(code: str, message: str) -> dict[str, str]:
    title = REFUSALS.get(code, "The license was refused")
    return {"code": code, "title": title, "message": message}


@bp.post("/admin/license")
@requires("system:license")
def upload_license():
    form = LicenseForm()
    if not form.validate_on_submit():
        return _render(form, _refusal("csrf_failed", "The form expired; try again."), 400)
    try:
        token = _token(form)
    except OutpostError as error:
        return _render(form, _refusal(error.code, error.message), error.status)
    if not token:
        message = "Choose the license file your vendor sent, or paste its contents."
        return _render(form, _refusal("no_license_given", message), 422)
    try:
        status = licensing.install_license(token, allow_older=form.allow_older.data)
    except OutpostError as error:
        return _render(form, _refusal(error.code, error.message), error.status)
    flash(f"License installed. {status.reason}", "success")
    return redirect(url_for("console.admin_license"))


@bp.post("/admin/license/remove")
@requires("system:license")
def remove_license():
    if ConfirmForm().validate_on_submit():
        try:
            licensing.remove_license()
        except OutpostError as error:
            flash(error.message, "error")
        else:
            flash("The license was removed: Outpost runs as the free edition.", "success")
    return redirect(url_for("console.admin_license"))
