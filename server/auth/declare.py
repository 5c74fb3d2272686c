"""Route declarations: every view states its permission or that it is public.

``tests/auth/test_route_coverage.py`` walks ``app.url_map`` and fails for any endpoint that has
neither. The decorators enforce what they declare, through :func:`authorize`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask_login import current_user

from .permissions import PERMISSIONS
from .policy import authorize

ACCESS_ATTR = "_outpost_access"
# What an endpoint reads with its principal, in the principal's own query (see ``endpoint``).
PRELOAD_ATTR = "_outpost_preload"
PRELOADABLE = frozenset({"default_team"})


@dataclass(frozen=True)
class Access:
    """What a view needs: a permission (optionally on a loaded resource) or nothing."""

    permission: str | None
    public: bool = False
    resource: Callable[..., Any] | None = None


def public(fn: Callable) -> Callable:
    """Mark a view as reachable without signing in (login page, health checks, OpenAPI)."""
    setattr(fn, ACCESS_ATTR, Access(permission=None, public=True))
    return fn


def requires(permission: str, resource: Callable[..., Any] | None = None) -> Callable:
    """Require ``permission``; with ``resource``, a loader given the URL arguments whose result
    is checked and passed to the view as ``resource``."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    # The loader receives the URL arguments it names (e.g. ``team``), not the others.
    wanted = set(inspect.signature(resource).parameters) if resource else set()

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            target = (
                resource(**{k: v for k, v in kwargs.items() if k in wanted}) if resource else None
            )
            authorize(current_user._get_current_object(), permission, target)
            if resource:
                kwargs["resource"] = target
            return fn(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, Access(permission=permission, resource=resource))
        return wrapper

    return decorator


def access_of(view: Callable) -> Access | None:
    return getattr(view, ACCESS_ATTR, None)
