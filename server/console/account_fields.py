"""New-account forms (sign-up, setup, invitations): every problem at once, next to its field,
with the rules shown before anyone breaks them."""

from __future__ import annotations

from flask import request

from ..services import users
from . import bp


def check_account_form(form, *, email: str | None = None, exclude_user_id: int | None = None):
    """Validate ``form`` and the account rules together; True when the account may be created.
    Problems are added to the fields' errors (the form's own checks included)."""
    if request.method != "POST":
        return False
    ok = form.validate_on_submit()
    given_email = email if email is not None else getattr(form, "email", None)
    if given_email is not None and not isinstance(given_email, str):
        given_email = given_email.data
    problems = users.account_problems(
        form.username.data, given_email, form.password.data or "", exclude_user_id=exclude_user_id
    )
    if email is not None:
        problems.pop("email", None)  # fixed by the invitation, not the person's to change
    for name, message in problems.items():
        field = getattr(form, name, None)
        if field is not None and message not in field.errors:
            field.errors = [*field.errors, message]
    return ok and not problems


@bp.app_context_processor
def _account_rules():
    return {"account_rules": users.account_rules}
