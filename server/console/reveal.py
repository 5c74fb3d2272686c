"""One-shot secrets shown after a redirect (Post/Redirect/Get for "shown once" values).

A POST that creates a secret (an API key, an invitation link) stores it here and redirects;
the next GET of the page takes it, so reloading never repeats the POST and the secret is shown
exactly once. The value travels sealed (encrypted with the server's key, services/secret_box)
inside the signed session cookie, so neither the browser nor anything that logs cookies can
read it, and it is never written to a log or the database.
"""

from __future__ import annotations

from typing import Any

from flask import session

from ..errors import OutpostError
from ..services import secret_box

_KEY = "_reveal"


def stash(name: str, **values: Any) -> None:
    """Keep ``values`` (strings, numbers, booleans, None) for the next :func:`take` of ``name``."""
    sealed = dict(session.get(_KEY) or {})
    sealed[name] = secret_box.seal(values)
    session[_KEY] = sealed


def take(name: str) -> dict[str, Any] | None:
    """The values stashed under ``name``, once; None when there are none (or unreadable)."""
    sealed = dict(session.get(_KEY) or {})
    token = sealed.pop(name, None)
    if token is None:
        return None
    if sealed:
        session[_KEY] = sealed
    else:
        session.pop(_KEY, None)
    try:
        return secret_box.unseal(token)
    except OutpostError:
        return None
