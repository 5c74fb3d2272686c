"""``/viewer``: the authenticated principal."""

from flask_login import current_user

from ..services.profile import default_team_slug
from . import api
from .routing import endpoint
from .serializers import user_dict


@endpoint(
    api,
    "/viewer",
    "GET",
    permission="viewer:read",
    summary="The authenticated principal",
    preload=("default_team",),
)
def get_viewer():
    """Who the key belongs to, and ``default_team``: the team a client that names no team
    logs to (the user's chosen default, else their only team, else null). An API key's
    lookup reads the default team in the same query."""
    user = current_user._get_current_object()  # one proxy lookup, not one per field
    team = user.default_team if user.default_team_loaded else default_team_slug(user.id)
    return {**user_dict(user), "default_team": team}
