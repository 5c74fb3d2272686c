"""``/viewer``: the authenticated principal."""

from flask_login import current_user

from . import api
from .routing import endpoint
from .serializers import user_dict


@endpoint(api, "/viewer", "GET", permission="viewer:read", summary="The authenticated principal")
def get_viewer():
    return user_dict(current_user)
