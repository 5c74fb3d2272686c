"""The permission vocabulary and the built-in roles' grants, declared once, as data.

Names are ``object:operation``. A permission marked *ownable* may be granted with the ``:own``
suffix, which allows it only on objects the principal owns: those it created (``created_by_id``),
or whatever other attributes the permission's ``owners`` name. Where a permission declares
``creates_in``, an ``:own`` grant also allows it on that kind of container (a project), because
what is created there belongs to the principal: ``run:log:own`` starts new runs in a project and
logs to the runs one sent, never to anybody else's. Custom roles
are rows that may name only permissions from :data:`PERMISSIONS`. The table in SPEC.md §3 is the
oracle these grants encode; ``tests/auth/test_matrix.py`` checks them row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    SELF = "self"  # the principal's own account: any active principal
    INSTANCE = "instance"  # the whole instance: system admins
    TEAM = "team"  # a team or an object inside one: decided by team role


@dataclass(frozen=True)
class Permission:
    name: str
    scope: Scope
    description: str
    ownable: bool = False
    # For ``:own`` grants: the attributes of an object naming its owners ...
    owners: tuple[str, ...] = ("created_by_id",)
    # ... and the container (its table name) in which an ``:own`` grant allows starting new
    # objects, which the principal then owns.
    creates_in: str | None = None
    # False: a service account never holds it, whatever its role (its own keys are its team
    # admins' to manage, SPEC §2).
    for_service_accounts: bool = True
    # False: custom roles may not name it (it stays with team admins and system admins).
    for_custom_roles: bool = True
    # An instance permission that every user (not service accounts) holds while this system
    # setting is on, e.g. team creation when "allow_user_team_creation" is set.
    opened_by_setting: str | None = None


def _p(name: str, scope: Scope, description: str, ownable: bool = False, **extra) -> Permission:
    return Permission(name, scope, description, ownable, **extra)


# The run (or sweep) was created by the principal, or sent by it (a service account that
# logged a run attributed to a person of its team keeps logging to it).
RUN_OWNERS = ("created_by_id", "logged_by_id")


_VOCABULARY = [
    # Own account
    _p("viewer:read", Scope.SELF, "See one's own identity and profile"),
    _p("viewer:edit_profile", Scope.SELF, "Edit one's own profile and settings"),
    _p(
        "viewer:manage_keys",
        Scope.SELF,
        "Create, list and delete one's own API keys",
        for_service_accounts=False,
    ),
    _p("team:list", Scope.SELF, "List the teams one can see"),
    _p("role:list", Scope.SELF, "See the roles that can be assigned"),
    _p("invitation:accept", Scope.SELF, "Accept a team invitation sent to one's e-mail"),
    # Instance administration
    _p("system:settings", Scope.INSTANCE, "Configure system settings"),
    _p("system:users", Scope.INSTANCE, "Manage every user of the instance"),
    _p("system:license", Scope.INSTANCE, "Install and remove the license"),
    _p("system:activity", Scope.INSTANCE, "View the activity dashboard"),
    _p("system:audit", Scope.INSTANCE, "Read and export the audit log"),
    _p("system:roles", Scope.INSTANCE, "Define custom roles"),
    _p("system:teams", Scope.INSTANCE, "List and administer every team in the admin console"),
    _p("team:create", Scope.INSTANCE, "Create teams", opened_by_setting="allow_user_team_creation"),
    _p("team:delete", Scope.INSTANCE, "Delete and restore teams"),
    # Team administration
    _p("team:view", Scope.TEAM, "See a team, its members and its settings"),
    _p("team:view_profile", Scope.TEAM, "See a team's profile page (public ones: everybody)"),
    _p("team:manage_members", Scope.TEAM, "Add and remove members, change roles"),
    _p(
        "team:manage_admins",
        Scope.TEAM,
        "Grant and take away the admin role, and roles above one's own",
        for_custom_roles=False,
    ),
    _p("team:manage_settings", Scope.TEAM, "Manage team settings, profile and project privacy"),
    _p("service_account:manage", Scope.TEAM, "Create and delete the team's service accounts"),
    # Projects, runs, sweeps, workspace
    _p("project:view", Scope.TEAM, "See projects"),
    _p("project:create", Scope.TEAM, "Create projects"),
    _p("project:edit_overview", Scope.TEAM, "Create, edit and delete a project overview"),
    _p("project:delete", Scope.TEAM, "Delete projects with everything in them"),
    _p("workspace:edit", Scope.TEAM, "Edit panels and the workspace"),
    _p("run:view", Scope.TEAM, "View run metadata: history, system metrics, files, logs"),
    _p(
        "run:log",
        Scope.TEAM,
        "Log runs: create, update, finish",
        ownable=True,
        owners=RUN_OWNERS,
        creates_in="projects",
    ),
    _p("run:delete", Scope.TEAM, "Delete runs, sweeps and sweep runs", ownable=True),
    _p("run:stop", Scope.TEAM, "Stop runs", ownable=True),
    _p("run:move", Scope.TEAM, "Move runs between projects", ownable=True),
    # Reports
    _p("report:view", Scope.TEAM, "View reports"),
    _p("report:create", Scope.TEAM, "Create reports"),
    _p("report:edit", Scope.TEAM, "Edit reports", ownable=True),
    _p("report:delete", Scope.TEAM, "Delete reports", ownable=True),
    _p("report:comment", Scope.TEAM, "Follow and comment on reports"),
    # Artifacts
    _p("artifact:view", Scope.TEAM, "View artifacts"),
    _p("artifact:write", Scope.TEAM, "Create and delete artifacts, edit metadata and aliases"),
    _p("artifact:download", Scope.TEAM, "Download artifact files"),
    # Model registry
    _p("registry:view", Scope.TEAM, "View registered models"),
    _p("registry:write", Scope.TEAM, "Add models and aliases, download models"),
    _p("registry:manage_admins", Scope.TEAM, "Add and remove registry admins"),
    _p("registry:manage_protected_aliases", Scope.TEAM, "Add and remove protected aliases"),
]

PERMISSIONS: dict[str, Permission] = {perm.name: perm for perm in _VOCABULARY}

OWN_SUFFIX = ":own"

VIEW_ONLY_GRANTS = frozenset(
    {
        "team:view",
        "team:view_profile",
        "project:view",
        "run:view",
        "report:view",
        "report:comment",
        "artifact:view",
        "registry:view",
    }
)

MEMBER_GRANTS = VIEW_ONLY_GRANTS | {
    "project:create",
    "project:edit_overview",
    "workspace:edit",
    "run:log",
    "run:delete:own",
    "run:stop:own",
    "run:move:own",
    "report:create",
    "report:edit:own",
    "report:delete:own",
    "artifact:write",
    "artifact:download",
    "registry:write",
}

ADMIN_GRANTS = (MEMBER_GRANTS - {g for g in MEMBER_GRANTS if g.endswith(OWN_SUFFIX)}) | {
    "project:delete",
    "run:delete",
    "run:stop",
    "run:move",
    "report:edit",
    "report:delete",
    "team:manage_members",
    "team:manage_admins",
    "team:manage_settings",
    "service_account:manage",
    "registry:manage_admins",
}

# The per-team registry-admin flag adds these to whatever role the member holds.
REGISTRY_ADMIN_GRANTS = frozenset(
    {
        "registry:view",
        "registry:write",
        "registry:manage_admins",
        "registry:manage_protected_aliases",
    }
)

# A public project (and what is in it) is readable by every signed-in principal of the
# instance; service accounts of other teams may also log runs to it (SPEC §3): start new runs
# (and sweeps) and log to the ones they sent, never touch anything they did not create. A team
# whose profile is public shows its profile page to every signed-in principal the same way.
PUBLIC_GRANTS = frozenset(
    {"project:view", "run:view", "report:view", "artifact:view", "team:view_profile"}
)
PUBLIC_SERVICE_ACCOUNT_GRANTS = PUBLIC_GRANTS | {"run:log:own"}

# System admins may look after any team's membership and settings (to repair a team that lost
# its admins, for example) without becoming members; team data needs a team role.
SYSTEM_ADMIN_TEAM_GRANTS = frozenset(
    {
        "team:view",
        "team:view_profile",
        "team:manage_members",
        "team:manage_admins",
        "team:manage_settings",
    }
)

BUILTIN_ROLES: dict[str, frozenset[str]] = {
    "view-only": frozenset(VIEW_ONLY_GRANTS),
    "member": frozenset(MEMBER_GRANTS),
    "admin": frozenset(ADMIN_GRANTS),
}

# Custom roles start from one of these ...
CUSTOM_ROLE_BASES = ("view-only", "member")
# ... and may add these (team permissions, except those that stay with team admins).
CUSTOM_ROLE_PERMISSIONS: dict[str, Permission] = {
    name: perm
    for name, perm in PERMISSIONS.items()
    if perm.scope is Scope.TEAM and perm.for_custom_roles
}


def is_known(name: str) -> bool:
    """True for a vocabulary permission, with or without the ``:own`` suffix where allowed."""
    if name.endswith(OWN_SUFFIX):
        base = PERMISSIONS.get(name[: -len(OWN_SUFFIX)])
        return base is not None and base.ownable
    return name in PERMISSIONS


def _check_table() -> None:
    tables = {**BUILTIN_ROLES, "public": PUBLIC_GRANTS, "public SA": PUBLIC_SERVICE_ACCOUNT_GRANTS}
    for role, grants in tables.items():
        unknown = [g for g in grants if not is_known(g)]
        if unknown:
            raise AssertionError(f"role {role} grants unknown permissions {unknown}")


_check_table()
