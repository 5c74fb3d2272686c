"""Discovery: ``/ServiceProviderConfig``, ``/ResourceTypes`` and ``/Schemas``, generated from
the resource models, so what is published is what the endpoints accept."""

from __future__ import annotations

from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Context,
    ETag,
    Filter,
    Meta,
    Patch,
    ResourceType,
    ServiceProviderConfig,
    Sort,
)

from .protocol import MAX_COUNT, ScimError, list_response, scim_response, scim_view
from .resources import DESCRIPTIONS, ENDPOINTS, RESOURCE_MODELS, TeamRoles
from .shaping import location

_DUMP = Context.RESOURCE_QUERY_RESPONSE


def _config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri="https://github.com/outpost/outpost#provisioning-with-scim",
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_COUNT),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A SCIM token (Admin › SCIM, or `outpost scim-tokens create NAME`) "
                "or a system admin's API key, as 'Authorization: Bearer <token>'.",
                primary=True,
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig", location=location("service_config")),
    )


def _resource_types() -> list[ResourceType]:
    types = []
    for name, model in RESOURCE_MODELS.items():
        resource_type = ResourceType.from_resource(model)
        resource_type.endpoint = ENDPOINTS[name]
        resource_type.description = DESCRIPTIONS[name]
        resource_type.meta = Meta(
            resource_type="ResourceType", location=location("resource_type", name)
        )
        types.append(resource_type)
    return types


def _schemas() -> list:
    schemas = []
    for model in (*RESOURCE_MODELS.values(), TeamRoles):
        schema = model.to_schema()
        schema.meta = Meta(resource_type="Schema", location=location("schema", str(schema.id)))
        schemas.append(schema)
    return schemas


@scim_view
def service_config():
    return scim_response(_config().model_dump(scim_ctx=_DUMP))


@scim_view
def list_resource_types():
    items = [item.model_dump(scim_ctx=_DUMP) for item in _resource_types()]
    return list_response(len(items), 1, items)


@scim_view
def resource_type(resource_id: str):
    for item in _resource_types():
        if item.id == resource_id:
            return scim_response(item.model_dump(scim_ctx=_DUMP))
    raise ScimError(404, f"No resource type {resource_id!r}.")


@scim_view
def list_schemas():
    items = [item.model_dump(scim_ctx=_DUMP) for item in _schemas()]
    return list_response(len(items), 1, items)


@scim_view
def schema(resource_id: str):
    for item in _schemas():
        if URN(str(item.id)).lower() == resource_id.lower():
            return scim_response(item.model_dump(scim_ctx=_DUMP))
    raise ScimError(404, f"No schema {resource_id!r}.")


@scim_view
def search_everything():
    raise ScimError(
        501,
        "Searching several resource types at once is not supported: use /Users/.search, "
        "/Groups/.search or /Roles/.search.",
    )
