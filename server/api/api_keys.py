"""``/viewer/api-keys``: the caller's own API keys."""

from flask_login import current_user
from pydantic import BaseModel, Field

from ..services import api_keys as service
from . import api
from .pagination import PageQuery, page_response, paginate
from .routing import endpoint
from .serializers import api_key_dict


class CreateApiKey(BaseModel):
    name: str = Field(min_length=1, max_length=128, description="What the key is for.")


@endpoint(
    api,
    "/viewer/api-keys",
    "GET",
    permission="viewer:manage_keys",
    query=PageQuery,
    summary="List my API keys (key id, name, created, last used)",
)
def list_api_keys(query: PageQuery):
    from ..models import ApiKey

    page = paginate(
        service.list_keys_query(current_user), ApiKey.id, cursor=query.cursor, limit=query.limit
    )
    return page_response(page, api_key_dict)


@endpoint(
    api,
    "/viewer/api-keys",
    "POST",
    permission="viewer:manage_keys",
    body=CreateApiKey,
    status=201,
    summary="Create an API key; the full key is in this response only",
)
def create_api_key(body: CreateApiKey):
    key, full_key = service.create_key(current_user, body.name)
    return {**api_key_dict(key), "key": full_key}, 201


@endpoint(
    api,
    "/viewer/api-keys/<key_id>",
    "DELETE",
    permission="viewer:manage_keys",
    status=204,
    summary="Delete (revoke at once) one of my API keys",
)
def delete_api_key(key_id: str):
    service.delete_key(current_user, key_id)
    return "", 204
