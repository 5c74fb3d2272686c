"""Forms of the system-admin pages (Flask-WTF: every form carries a CSRF token).

Fields check only shape (required, length); the services decide what is valid and their
errors are shown by field or as a message.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

# --- settings --------------------------------------------------------------------------------

RESET_PREFIX = "reset__"


def settings_form(described: list[dict[str, Any]]) -> FlaskForm:
    """A form with one field per editable setting (environment-managed ones have none) and a
    "back to default" box for each saved one."""

    class SettingsForm(FlaskForm):
        pass

    for entry in described:
        if not entry["editable"]:
            continue
        name, kind = entry["name"], entry["type"]
        if kind == "boolean":
            field = BooleanField(name, default=entry["value"])
        elif entry.get("choices"):
            field = SelectField(name, choices=entry["choices"], default=entry["value"])
        elif entry.get("is_set") is not None:  # a secret: never sent back to the browser
            field = PasswordField(name)
        elif kind == "list":
            field = TextAreaField(name, default="\n".join(entry["value"]))
        else:
            field = StringField(name, default=str(entry["value"]))
        setattr(SettingsForm, name, field)
        if entry["source"] == "database":
            setattr(SettingsForm, RESET_PREFIX + name, BooleanField("Back to default"))
    return SettingsForm()


class TestEmailForm(FlaskForm):
    to = EmailField("Send a test e-mail to", validators=[DataRequired(), Length(max=254)])


# --- users -----------------------------------------------------------------------------------

# Plain values: WTForms 3.3 deprecates (value, label) tuples; templates write the labels.
SEAT_CHOICES = ["full", "viewer"]


class InviteUserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    seat_type = SelectField("Seat", choices=SEAT_CHOICES, default="full")
    system_admin = BooleanField("System admin")


class UserChangeForm(FlaskForm):
    """One change from a row's buttons: ``change`` names it; ``seat_type`` goes with "seat"."""

    change = StringField(validators=[DataRequired()])
    seat_type = SelectField(choices=SEAT_CHOICES, validators=[Optional()], validate_choice=False)
    next = StringField(validators=[Optional(), Length(max=2000)])


# --- teams -----------------------------------------------------------------------------------


class CreateTeamForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=64)])
    display_name = StringField("Display name", validators=[Optional(), Length(max=128)])
    admin = StringField("First admin (username)", validators=[Optional(), Length(max=64)])
    storage = StringField("Storage", default="internal")  # "internal" or "byob" (radio buttons)
    provider = SelectField("Provider", choices=["s3", "gcs"], default="s3")
    bucket = StringField("Bucket", validators=[Optional(), Length(max=222)])
    prefix = StringField("Path prefix", validators=[Optional(), Length(max=512)])
    region = StringField("Region", validators=[Optional(), Length(max=64)])
    kms_key_id = StringField("KMS key (S3)", validators=[Optional(), Length(max=2048)])
    endpoint = StringField("Endpoint (S3-compatible)", validators=[Optional(), Length(max=512)])
    access_key = StringField("Access key (S3)", validators=[Optional(), Length(max=256)])
    secret_key = PasswordField("Secret key (S3)", validators=[Optional(), Length(max=256)])
    service_account_json = TextAreaField(
        "Service account JSON (GCS)", validators=[Optional(), Length(max=20_000)]
    )

    def storage_spec(self) -> Any:
        """``"internal"`` or the BYOB description the teams service expects."""
        if self.storage.data != "byob":
            return "internal"
        credentials = {}
        if self.provider.data == "s3" and (self.access_key.data or self.secret_key.data):
            credentials = {"access_key": self.access_key.data, "secret_key": self.secret_key.data}
        if self.provider.data == "gcs" and (self.service_account_json.data or "").strip():
            credentials = {"service_account_json": self.service_account_json.data}
        spec = {
            key: (getattr(self, key).data or "").strip()
            for key in ("provider", "bucket", "prefix", "region", "kms_key_id", "endpoint")
        }
        spec["credentials"] = credentials or None
        return spec


class DeleteTeamForm(FlaskForm):
    confirm = StringField("Type the team name to confirm", validators=[Length(max=64)])


class TeamRenameForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=128)])


class TeamTransferForm(FlaskForm):
    member = StringField("Member's username", validators=[DataRequired(), Length(max=64)])
    demote_others = BooleanField("Make the current admins members")


class DeleteUserForm(FlaskForm):
    confirm = StringField("Type the username to confirm", validators=[Length(max=64)])


# --- custom roles ----------------------------------------------------------------------------


class RoleForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=63)])
    base = SelectField("Base role", choices=["view-only", "member"])
    # Rendered as checkboxes by the template (with each permission's description).
    permissions = SelectMultipleField("Extra permissions", choices=[], validate_choice=False)
    description = StringField("Description", validators=[Optional(), Length(max=255)])


# --- license ---------------------------------------------------------------------------------


class LicenseForm(FlaskForm):
    file = FileField("License file")
    token = TextAreaField("…or paste the license", validators=[Optional(), Length(max=65_536)])
    allow_older = BooleanField("Replace the installed license even if this one is older")


class UserIdentityForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=128)])
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
