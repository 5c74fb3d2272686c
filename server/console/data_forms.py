"""Forms of the console's data pages: projects and runs (Flask-WTF: each carries a CSRF
token)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

VISIBILITY_CHOICES = [SelectChoice("private", "Private"), SelectChoice("public", "Public")]


class NewProjectForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=128)])
    visibility = SelectField("Visibility", choices=VISIBILITY_CHOICES, validate_choice=True)


class RenameProjectForm(FlaskForm):
    name = StringField("New name", validators=[DataRequired(), Length(max=128)])


class DeleteProjectForm(FlaskForm):
    """The name travels back as the confirmation the projects service asks for; the
    confirmation dialog in front of the button is what the person answers."""

    confirm = HiddenField()


class MoveRunForm(FlaskForm):
    # Any name may come back: the runs service refuses a project the mover may not log to.
    project = SelectField("Move to project", validate_choice=False)


class ReportForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = StringField("Description", validators=[Length(max=1000)])
    body = TextAreaField("Body (Markdown)", validators=[Length(max=1_000_000)])


class CommentForm(FlaskForm):
    body = TextAreaField("Comment (Markdown)", validators=[DataRequired(), Length(max=100_000)])


class AliasForm(FlaskForm):
    alias = StringField("Alias", validators=[DataRequired(), Length(max=64)])


class LinkModelVersionForm(FlaskForm):
    project = StringField("Project", validators=[DataRequired(), Length(max=128)])
    artifact = StringField("Artifact", validators=[DataRequired(), Length(max=128)])
    version = StringField("Version or alias", validators=[DataRequired(), Length(max=64)])


class ModelAliasForm(FlaskForm):
    alias = StringField("Alias", validators=[DataRequired(), Length(max=64)])
    version = StringField("Version", validators=[DataRequired(), Length(max=64)])
