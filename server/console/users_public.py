"""Public profile pages ``/users/<username>`` and profile pictures.

"Public" on a self-hosted instance means every signed-in user of the instance (as for public
projects and team profiles): anonymous visitors are sent to the sign-in page. A deactivated
user's page, or a service account's, does not exist (404).
"""

from __future__ import annotations

from flask import redirect, render_template
from flask_login import current_user

from ..auth import requires
from ..models import User
from ..services import avatars
from ..services import profile as service
from . import bp
from .teams import require_signed_in


def load_person(username: str) -> User:
    require_signed_in()
    return service.load_public_user(username)


@bp.get("/users/<username>")
@requires("viewer:read", resource=load_person)
def public_profile(username: str, resource: User):
    profile = service.profile_of(resource.id)
    return render_template(
        "users/show.html",
        person=resource,
        profile=profile,
        avatar_url=avatars.avatar_path(resource.username, profile.avatar_key),
        teams=service.teams_shown_on_profile(current_user, resource),
        teams_hidden=profile.hide_teams,
        is_me=resource.id == current_user.id,
    )


@bp.get("/users/<username>/avatar")
@requires("viewer:read", resource=load_person)
def user_avatar(username: str, resource: User):
    response = redirect(avatars.avatar_download_url(resource))
    response.headers["Cache-Control"] = "private, max-age=240"
    return response
