"""The SCIM resources Outpost serves, declared with scim2-models.

Only what Outpost stores is declared, so the published ``/Schemas`` say exactly what a client
can write and read back: a User is a userName, a display name, one e-mail, ``active`` and an
externalId, plus the teams it belongs to with their roles (``teamRoles``, an Outpost
extension); a Group is a team; a Role is an instance-wide custom role.
"""

from typing import Annotated, Any

from pydantic import Field
from scim2_models import (
    URN,
    CaseExact,
    ComplexAttribute,
    ExtensibleStringEnum,
    Extension,
    Mutability,
    Reference,
    Required,
    Resource,
    ScimPolicy,
    Uniqueness,
)

from ..auth.permissions import CUSTOM_ROLE_BASES, CUSTOM_ROLE_PERMISSIONS
from ..services import roles

SCHEMA_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCHEMA_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SCHEMA_TEAM_ROLES = "urn:outpost:params:scim:schemas:extension:2.0:User"
SCHEMA_ROLE = "urn:outpost:params:scim:schemas:core:2.0:Role"

# Identity providers depart from the RFC in known ways: Entra ID sends "Replace", "False" as a
# string, value-path targets that match nothing yet (emails[type eq "work"].value) and removals
# that carry a value; both send attributes Outpost does not keep (name, title, ...).
IDP_POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


def _team_permission_names() -> list[str]:
    """Permissions a custom role may add whatever its base: those that stay with team admins
    are left out, and so are those the member base role already includes (adding one of those
    is refused as ``permission_inherited``)."""
    names = []
    for name, spec in CUSTOM_ROLE_PERMISSIONS.items():
        for candidate in (name, f"{name}:own") if spec.ownable else (name,):
            if not roles.inherited("member", candidate):
                names.append(candidate)
    return names


class UserEmail(ComplexAttribute):
    """The user's e-mail address. Outpost keeps one: the primary (or work, or first) address a
    client sends; ``primary`` and other sub-attributes are accepted and not kept."""

    class Type(ExtensibleStringEnum):
        work = "work"

    value: Annotated[str | None, Required.true] = None  # Outpost checks addresses itself
    type: Type | None = None


class TeamRole(ComplexAttribute):
    """One team the user belongs to and the role held there."""

    value: Annotated[str | None, CaseExact.true] = Field(
        None, description="The id of the team's SCIM Group (required)."
    )
    ref: Annotated[Reference["Group"] | None, Mutability.read_write] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    role: Annotated[str | None, Required.false] = Field(
        None,
        examples=["member", "view-only"],
        description="admin, member, view-only (enterprise) or a custom role's name (enterprise).",
    )


class TeamRoles(Extension):
    """Outpost's extension to User: the user's teams and roles (like W&B's ``teamRoles``)."""

    __schema__ = URN(SCHEMA_TEAM_ROLES)

    team_roles: list[TeamRole] | None = None


class User(Resource[TeamRoles]):
    """An Outpost user. ``DELETE`` and ``active: false`` deactivate: runs and reports stay."""

    __schema__ = URN(SCHEMA_USER)

    user_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    display_name: str | None = None
    active: bool | None = None
    emails: list[UserEmail] | None = None


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Required.true, CaseExact.true] = None
    ref: Annotated[Reference["User"] | None, Mutability.read_write] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: str | None = Field(None, examples=["User"])


class Group(Resource[Any]):
    """An Outpost team. Members join with the member role (see the User ``teamRoles``)."""

    __schema__ = URN(SCHEMA_GROUP)

    display_name: Annotated[str | None, Required.true] = None
    members: list[GroupMember] | None = None


class Role(Resource[Any]):
    """An instance-wide custom role: a base role plus extra team permissions (enterprise)."""

    __schema__ = URN(SCHEMA_ROLE)

    name: Annotated[str | None, Required.true, Mutability.immutable, Uniqueness.server] = None
    description: str | None = None
    inherited_from: Annotated[str | None, Required.true] = Field(
        None, examples=list(CUSTOM_ROLE_BASES), description="The base role: view-only or member."
    )
    permissions: list[str] | None = Field(None, examples=_team_permission_names())


RESOURCE_MODELS: dict[str, type[Resource[Any]]] = {"User": User, "Group": Group, "Role": Role}
ENDPOINTS = {"User": "/Users", "Group": "/Groups", "Role": "/Roles"}
DESCRIPTIONS = {
    "User": "Outpost users",
    "Group": "Outpost teams",
    "Role": "Outpost custom roles (enterprise: custom_roles)",
}
