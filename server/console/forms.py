"""Console forms (Flask-WTF: every form carries a CSRF token)."""

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
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    login = StringField("Username or e-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


class SetupForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1024)])
    password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", "Passwords differ.")],
    )


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=128)])


class ConfirmForm(FlaskForm):
    """A bare form for buttons that change state (delete, sign out): just the CSRF token."""


class SignupForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    display_name = StringField("Your name", validators=[Length(max=128)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )


class AcceptInviteForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    display_name = StringField("Your name", validators=[Length(max=128)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )


# --- teams ------------------------------------------------------------------------------------


class InviteForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", validate_choice=True)


class RoleForm(FlaskForm):
    role = SelectField("Role", validate_choice=True)


class VisibilityForm(FlaskForm):
    visibility = SelectField(
        "Visibility",
        choices=[SelectChoice("private", "Private"), SelectChoice("public", "Public")],
        validate_choice=True,
    )


class RegistryAdminForm(FlaskForm):
    # Any member may be named; the membership service refuses a name that is not one.
    username = SelectField("Member", validate_choice=False)


class ProtectedAliasForm(FlaskForm):
    alias = StringField("Alias", validators=[DataRequired(), Length(max=128)])


class ServiceAccountForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=40)])
    description = StringField("Description", validators=[Length(max=128)])


class TeamProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=128)])
    intro = TextAreaField("Introduction (Markdown)", validators=[Length(max=100_000)])
    profile_visibility = SelectField(
        "Who can see this page",
        choices=[
            SelectChoice("members", "Team members only"),
            SelectChoice("public", "Everyone signed in to Outpost"),
        ],
        validate_choice=True,
    )
    links = TextAreaField(
        "Links (one per line: label | https://…)", validators=[Length(max=10_000)]
    )
    showcase = SelectMultipleField("Showcased projects", validate_choice=True)
    showcase_reports = SelectMultipleField("Showcased reports", validate_choice=True)


# --- my settings ------------------------------------------------------------------------------


class ProfileForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired(), Length(max=128)])
    institution = StringField("Institution", validators=[Length(max=128)])
    location = StringField("Location", validators=[Length(max=128)])
    website = StringField("Website", validators=[Length(max=512)])
    bio = TextAreaField("Intro (Markdown)", validators=[Length(max=20_000)])
    # Any slug may come back; the profile service accepts only the user's own teams.
    default_team = SelectField("Default team", validate_choice=False)
    hide_teams = BooleanField("Hide my teams on my public profile")


class AvatarForm(FlaskForm):
    file = FileField("Picture")


class AlertsForm(FlaskForm):
    run_finished_email = BooleanField("E-mail")
    run_finished_slack = BooleanField("Slack")
    run_crashed_email = BooleanField("E-mail")
    run_crashed_slack = BooleanField("Slack")
    slack_webhook_url = StringField("Slack webhook URL", validators=[Length(max=2048)])
    clear_webhook = BooleanField("Remove the saved webhook")
