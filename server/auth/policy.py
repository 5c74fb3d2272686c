"""``authorize``: the one place that decides whether a principal may do something.

Views declare the permission they need (see :mod:`server.auth.declare`); this module answers
from the table in :mod:`server.auth.permissions`. Team grants are resolved once per request and
team, so a decision costs a constant number of queries.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import g, has_request_context

from ..errors import Forbidden, NotFound, Unauthenticated
from .permissions import (
    OWN_SUFFIX,
    PERMISSIONS,
    PUBLIC_GRANTS,
    PUBLIC_SERVICE_ACCOUNT_GRANTS,
    SYSTEM_ADMIN_TEAM_GRANTS,
    Scope,
)


class Principal(Protocol):
    id: int
    username: str
    system_admin: bool
    seat_type: str
    is_active: bool
    is_authenticated: bool
    is_service_account: bool


def _team_grants(principal: Principal, team_id: int) -> frozenset[str]:
    """The grants ``principal`` holds in team ``team_id`` (memoised for the request)."""
    if has_request_context():
        hit = g.get("_team_grants", {}).get((principal.id, team_id))
        if hit is not None:
            return hit
    from ..services.memberships import grants_for  # the membership noun owns role resolution

    return remember_team_grants(principal, team_id, grants_for(principal, team_id))


def remember_team_grants(
    principal: Principal, team_id: int, grants: frozenset[str]
) -> frozenset[str]:
    """Memoise for the request what ``principal`` holds in the team, as read from its membership
    row (a loader that fetched the row with the resource calls this: no second query)."""
    if principal.system_admin:
        grants = grants | SYSTEM_ADMIN_TEAM_GRANTS
    if has_request_context():
        g.setdefault("_team_grants", {})[(principal.id, team_id)] = grants
    return grants


def _team_of(resource: Any) -> int:
    team_id = getattr(resource, "team_id", None)
    if team_id is None and resource is not None and hasattr(resource, "slug"):
        team_id = resource.id  # the team itself
    if team_id is None:
        raise TypeError(f"{resource!r} is not inside a team")
    return team_id


def allows(grants: frozenset[str], permission: str, principal: Principal, resource: Any) -> bool:
    """True when ``grants`` give ``permission`` on ``resource``.

    An ``:own`` grant needs the principal among the resource's owners (the attributes the
    permission's ``owners`` name), or the resource to be the container the permission
    ``creates_in``: what the principal starts there is its own.
    """
    if permission in grants:
        return True
    if permission + OWN_SUFFIX not in grants:
        return False
    spec = PERMISSIONS[permission]
    if spec.creates_in is not None and getattr(resource, "__tablename__", None) == spec.creates_in:
        return True
    return any(getattr(resource, name, None) == principal.id for name in spec.owners)


def _opened_by_setting(spec, principal: Principal) -> bool:
    if spec.opened_by_setting is None or principal.is_service_account:
        return False
    from ..services.system_settings import get_setting

    return bool(get_setting(spec.opened_by_setting))


def _hidden(resource: Any) -> NotFound:
    """For a principal with no place in the resource's team: the same answer as if it did not
    exist (a team gets exactly the error of a missing team)."""
    if hasattr(resource, "slug"):
        from ..services.teams import team_not_found

        return team_not_found(resource.slug)
    return NotFound("Not found.")


def can(principal: Principal | None, permission: str, resource: Any = None) -> bool:
    try:
        authorize(principal, permission, resource)
    except (Forbidden, NotFound, Unauthenticated):
        return False
    return True


def authorize(principal: Principal | None, permission: str, resource: Any = None) -> None:
    """Allow or raise.

    Raises Unauthenticated when there is no active principal, NotFound when the principal may
    not even see the team the resource lives in (its existence stays hidden), and Forbidden
    (code ``permission_denied``) otherwise. An unknown permission name is a programming error
    (KeyError).
    """
    spec = PERMISSIONS[permission]
    if principal is None or not principal.is_authenticated:
        raise Unauthenticated("Sign in or send an API key to use this.")
    if not principal.is_active:
        raise Unauthenticated("This account is deactivated.", code="account_deactivated")

    if principal.is_service_account and not spec.for_service_accounts:
        raise Forbidden(
            "A service account's API keys are managed by its team's admins "
            "(Team settings > Service accounts), not with the account's own key.",
            code="service_account_keys_managed_by_team_admins",
            permission=permission,
        )
    if spec.scope is Scope.SELF:
        if permission == "viewer:manage_keys" and principal.seat_type == "viewer":
            raise Forbidden("Viewer seats have no API keys.", code="permission_denied")
        return
    if spec.scope is Scope.INSTANCE:
        if principal.system_admin or _opened_by_setting(spec, principal):
            return
        raise Forbidden(
            "Only system admins can do this.", code="permission_denied", permission=permission
        )

    grants = _team_grants(principal, _team_of(resource))
    public = bool(getattr(resource, "is_public", False))
    if public:
        grants = grants | (
            PUBLIC_SERVICE_ACCOUNT_GRANTS if principal.is_service_account else PUBLIC_GRANTS
        )
    if allows(grants, permission, principal, resource):
        return
    if not grants:
        raise _hidden(resource)
    raise Forbidden(
        f"Your role does not allow {spec.description.lower()}.",
        code="permission_denied",
        permission=permission,
    )


def authorize_role_change(
    principal: Principal | None,
    team: Any,
    *,
    current: frozenset[str] = frozenset(),
    new: frozenset[str] = frozenset(),
) -> None:
    """Allow or raise for giving a member the role whose grants are ``new`` (adding, inviting,
    changing) and taking away the one whose grants are ``current`` (changing, removing).

    ``team:manage_members`` is needed always. Without ``team:manage_admins`` (team admins and
    system admins hold it; custom roles cannot), neither role may be admin (Forbidden
    ``admin_role_needs_admin``) nor grant anything the principal does not hold itself
    (Forbidden ``role_above_your_own``): a custom role that manages members cannot raise anyone,
    itself included, above its own role, nor lower or remove someone above it.
    """
    authorize(principal, "team:manage_members", team)
    held = _team_grants(principal, _team_of(team))
    if "team:manage_admins" in held:
        return
    if "team:manage_admins" in current | new:
        raise Forbidden(
            "Only a team admin can grant or take away the admin role.",
            code="admin_role_needs_admin",
            permission="team:manage_admins",
        )
    beyond = sorted((current | new) - held)
    if beyond:
        raise Forbidden(
            "Only a team admin can give or take away a role with permissions your own role "
            f"lacks ({', '.join(beyond)}).",
            code="role_above_your_own",
            permission="team:manage_admins",
            permissions=beyond,
        )
