"""What every console page shows around its content: the instance name, the system banner
(``banner_message``/``banner_level``) for signed-in users, and whether sign-up is open."""

from __future__ import annotations

import logging
from typing import Any

from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


def chrome_context() -> dict[str, Any]:
    from ..services.system_settings import get_setting

    context: dict[str, Any] = {"instance_name": "Outpost", "system_banner": None}
    try:
        context["instance_name"] = get_setting("instance_name") or "Outpost"
        context["signup_open"] = get_setting("signup_mode") == "open"
        message = (get_setting("banner_message") or "").strip()
        if message and getattr(current_user, "is_authenticated", False):
            context["system_banner"] = {"message": message, "level": get_setting("banner_level")}
    except SQLAlchemyError:
        # An error page about the database must still render.
        from ..extensions import db

        db.session.rollback()
        log.warning("console chrome without settings: the database did not answer")
    return context
