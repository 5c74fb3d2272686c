"""Forms of the console's data pages: projects and runs (Flask-WTF: each carries a CSRF
token)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
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
