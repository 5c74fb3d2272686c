"""My settings: profile (with picture, default team, teams), alerts and beta features.
The API-keys page is in :mod:`.api_keys`; the same settings are in ``/api/v1/viewer/profile``."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..auth import requires
from ..errors import OutpostError
from ..extensions import db
from ..models import User
from ..services import alerts, avatars
from ..services import profile as service
from . import bp
from .forms import AlertsForm, AvatarForm, ConfirmForm, ProfileForm


def _me() -> User:
    return db.session.get(User, current_user.id)


def _avatar_url(user: User) -> str | None:
    return avatars.avatar_path(user.username, service.profile_of(user.id).avatar_key)


def _profile_form(user: User, submitted: bool = False) -> ProfileForm:
    profile = service.profile_of(user.id)
    if submitted:
        form = ProfileForm()
    else:
        default = service.default_team_for(user.id)
        form = ProfileForm(
            formdata=None,
            display_name=user.display_name,
            institution=profile.institution,
            location=profile.location,
            website=profile.website,
            bio=profile.bio,
            default_team=default.slug if default else "",
            hide_teams=profile.hide_teams,
        )
    teams = service.my_teams(user.id)
    form.default_team.choices = [SelectChoice("", "No default")] + [
        SelectChoice(t.slug, t.display_name or t.slug) for t in teams
    ]
    return form


def _render_profile(user: User, form: ProfileForm, preview: str | None = None, status=200):
    return render_template(
        "settings/profile.html",
        section="profile",
        user=user,
        form=form,
        avatar_form=AvatarForm(),
        confirm=ConfirmForm(),
        avatar_url=_avatar_url(user),
        teams=service.my_teams(user.id),
        preview=preview,
    ), status


@bp.get("/settings/profile")
@requires("viewer:read")
def profile():
    user = _me()
    return _render_profile(user, _profile_form(user))


@bp.post("/settings/profile")
@requires("viewer:edit_profile")
def save_profile():
    user = _me()
    form = _profile_form(user, submitted=True)
    if request.form.get("action") == "preview":
        form.validate_on_submit()  # checks the CSRF token; a preview saves nothing
        return _render_profile(user, form, preview=form.bio.data or "")
    if not form.validate_on_submit():
        flash("Check the highlighted fields.", "error")
        return _render_profile(user, form, status=422)
    try:
        service.update_profile(
            user.id,
            {
                "display_name": form.display_name.data,
                "institution": form.institution.data,
                "location": form.location.data,
                "website": form.website.data,
                "bio": form.bio.data,
                "default_team": form.default_team.data or None,
                "hide_teams": form.hide_teams.data,
            },
        )
    except OutpostError as error:
        flash(error.message, "error")
        return _render_profile(_me(), form, status=error.status)
    flash("Profile saved.", "success")
    return redirect(url_for("console.profile"))


@bp.post("/settings/profile/avatar")
@requires("viewer:edit_profile")
def upload_avatar():
    form = AvatarForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.stream.read(avatars.MAX_AVATAR_BYTES + 1) if upload else b""
        try:
            avatars.set_avatar(_me(), data)
            flash("Picture updated.", "success")
        except OutpostError as error:
            flash(error.message, "error")
    return redirect(url_for("console.profile"))


@bp.post("/settings/profile/avatar/remove")
@requires("viewer:edit_profile")
def remove_avatar():
    if ConfirmForm().validate_on_submit():
        avatars.remove_avatar(_me())
        flash("Picture removed.", "success")
    return redirect(url_for("console.profile"))


# --- alerts -----------------------------------------------------------------------------------


def _render_alerts(form: AlertsForm, status: int = 200):
    webhook = service.slack_webhook_of(current_user.id)
    return render_template(
        "settings/alerts.html",
        section="alerts",
        form=form,
        confirm=ConfirmForm(),
        events=service.ALERT_EVENTS,
        webhook_host=urlsplit(webhook).hostname if webhook else None,
        email_configured=alerts.email_configured(),
    ), status


@bp.get("/settings/alerts")
@requires("viewer:read")
def alert_settings():
    prefs = {e: service.alert_channels(current_user.id, e) for e in service.ALERT_EVENTS}
    form = AlertsForm(
        formdata=None,
        **{f"{e}_{c}": c in prefs[e] for e in service.ALERT_EVENTS for c in alerts.CHANNELS},
    )
    return _render_alerts(form)


@bp.post("/settings/alerts")
@requires("viewer:edit_profile")
def save_alert_settings():
    form = AlertsForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return _render_alerts(form, 422)
    changes: dict = {
        e: [c for c in alerts.CHANNELS if getattr(form, f"{e}_{c}").data]
        for e in service.ALERT_EVENTS
    }
    if form.clear_webhook.data:
        changes["slack_webhook_url"] = ""
    elif (form.slack_webhook_url.data or "").strip():
        changes["slack_webhook_url"] = form.slack_webhook_url.data
    try:
        service.update_profile(current_user.id, {"alerts": changes})
    except OutpostError as error:
        flash(error.message, "error")
        return _render_alerts(form, error.status)
    flash("Alert preferences saved.", "success")
    return redirect(url_for("console.alert_settings"))


@bp.post("/settings/alerts/test/<channel>")
@requires("viewer:edit_profile")
def send_test_alert(channel: str):
    if ConfirmForm().validate_on_submit():
        try:
            alerts.send_test_alert(_me(), channel)
            flash(f"Test alert sent by {'e-mail' if channel == 'email' else 'Slack'}.", "success")
        except OutpostError as error:
            flash(error.message, "error")
    return redirect(url_for("console.alert_settings"))


# --- beta features ----------------------------------------------------------------------------


@bp.get("/settings/beta")
@requires("viewer:read")
def beta_settings():
    return render_template(
        "settings/beta.html",
        section="beta",
        features=service.BETA_FEATURES,
        enabled=service.enabled_beta_features(current_user.id),
        confirm=ConfirmForm(),
    )


@bp.post("/settings/beta")
@requires("viewer:edit_profile")
def save_beta_settings():
    if ConfirmForm().validate_on_submit():
        chosen = set(request.form.getlist("beta"))
        try:
            service.update_profile(
                current_user.id,
                {"beta_features": {name: name in chosen for name in service.BETA_FEATURES}},
            )
            flash("Beta features saved.", "success")
        except OutpostError as error:
            flash(error.message, "error")
    return redirect(url_for("console.beta_settings"))
