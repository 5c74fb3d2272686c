"""SCIM on the wire: JSON bodies as ``application/scim+json``, errors as SCIM ``Error``
messages with their ``scimType``, ETags and ``If-Match``, list parameters."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, g, request
from flask_login import current_user
from pydantic import ValidationError
from scim2_models import Context, Error, SCIMException, SearchRequest

from ..auth.declare import ACCESS_ATTR, requires
from ..errors import BadRequest, OutpostError, Unauthenticated
from .resources import IDP_POLICY

SCIM_JSON = "application/scim+json"
DEFAULT_COUNT = 100
MAX_COUNT = 1000

# Outpost error codes that are SCIM uniqueness conflicts, and 400s with their scimType.
_UNIQUENESS = {"user_exists", "team_exists", "role_exists"}
_SCIM_TYPES = {
    "invalid_filter": "invalidFilter",
    "not_json": "invalidSyntax",
    "malformed_json": "invalidSyntax",
    "invalid_syntax": "invalidSyntax",
    "invalid_path": "invalidPath",
    "no_target": "noTarget",
    "mutability": "mutability",
    "too_many": "tooMany",
}


class ScimError(OutpostError):
    """An error the SCIM door raises with SCIM's status and ``scimType`` already chosen."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None):
        super().__init__(detail, code=scim_type or "scim_error")
        self.status = status
        self.scim_type = scim_type


def scim_response(payload: dict[str, Any] | None, status: int = 200, **headers: str) -> Response:
    body = json.dumps(payload) if payload is not None else ""
    response = Response(body, status=status, mimetype=SCIM_JSON if payload is not None else None)
    for name, value in headers.items():
        if value:
            response.headers[name.replace("_", "-")] = value
    return response


def list_response(total: int, start: int, resources: list[dict[str, Any]]) -> Response:
    return scim_response(
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
    )


def error_response(status: int, detail: str, scim_type: str | None = None) -> Response:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    response = scim_response(error.model_dump(), status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="outpost-scim"'
    return response


def render_error(error: OutpostError) -> Response:
    """Any Outpost error as a SCIM Error: 422s become 400 ``invalidValue``, taken names 409
    ``uniqueness``; the Outpost code stays readable at the end of the detail."""
    if isinstance(error, ScimError):
        return error_response(error.status, error.message, error.scim_type)
    status, scim_type = error.status, _SCIM_TYPES.get(error.code)
    if status == 422:
        status, scim_type = 400, scim_type or "invalidValue"
    elif status == 409 and error.code in _UNIQUENESS:
        scim_type = "uniqueness"
    elif status == 400 and scim_type is None:
        scim_type = "invalidValue"
    detail = error.message if error.status >= 500 else f"{error.message} ({error.code})"
    return error_response(status, detail, scim_type)


def from_scim_exception(exc: SCIMException) -> ScimError:
    return ScimError(exc.status, exc.detail, exc.scim_type or None)


def from_validation_error(exc: ValidationError) -> ScimError:
    error = Error.from_validation_errors(exc)[0]
    return ScimError(error.status or 400, error.detail or "Invalid request.", error.scim_type)


def read_json() -> dict[str, Any]:
    """The request body as a JSON object (``application/scim+json`` or ``application/json``)."""
    try:
        payload = json.loads(request.get_data(as_text=True) or "null")
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON.", code="malformed_json") from None
    if not isinstance(payload, dict):
        raise BadRequest("Send a JSON object.", code="invalid_syntax")
    if _unstorable(payload):
        raise ScimError(
            400,
            "Text may not contain NUL characters, nor numbers be NaN or infinite.",
            "invalidValue",
        )
    return payload


def _unstorable(payload: Any) -> bool:
    """A NUL in a string (PostgreSQL refuses it) or a NaN/infinite number, anywhere."""
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, float) and not math.isfinite(value):
            return True
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def validate(model, payload: dict[str, Any], ctx: Context):
    """Validate a payload with scim2-models under the identity-provider policy."""
    try:
        return model.model_validate(payload, scim_ctx=ctx, scim_policy=IDP_POLICY)
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    except SCIMException as exc:
        raise from_scim_exception(exc) from None


def _without_nulls(item: Any) -> Any:
    """Entra ID sends ``{"$ref": null, "value": "..."}``: a null sub-attribute is unassigned,
    so it must not take part in matching the value to remove."""
    if isinstance(item, dict):
        return {key: value for key, value in item.items() if value is not None}
    return item


def apply_patch(patch_model, current):
    """A copy of ``current`` with the request's PATCH operations applied (scim2-models does
    the paths, value filters and Entra ID's quirks); raises a SCIM error for a bad patch."""
    payload = read_json()
    for operation in payload.get("Operations") or []:
        if isinstance(operation, dict) and isinstance(operation.get("value"), list):
            operation["value"] = [_without_nulls(item) for item in operation["value"]]
    patch = validate(patch_model, payload, Context.RESOURCE_PATCH_REQUEST)
    patched = current.model_copy(deep=True)
    try:
        patch.patch(patched, scim_policy=IDP_POLICY)
    except SCIMException as exc:
        raise from_scim_exception(exc) from None
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    return patched


def etag_of(payload: dict[str, Any]) -> str:
    """A weak ETag: a digest of the representation (its ``meta`` aside), so it changes
    whenever anything a client can read changes."""
    content = {key: value for key, value in payload.items() if key != "meta"}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def check_if_match(current: str) -> None:
    """Raises 412 when ``If-Match`` names none of the current version (``*`` matches)."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    wanted = _tags(header)
    strip = lambda tag: tag.removeprefix("W/")  # noqa: E731  (weak comparison, RFC 7232)
    if "*" not in wanted and strip(current) not in {strip(tag) for tag in wanted}:
        raise ScimError(412, "The resource changed since it was read (If-Match failed).")


def not_modified(current: str) -> bool:
    header = request.headers.get("If-None-Match")
    return header is not None and (
        "*" in _tags(header)
        or current.removeprefix("W/") in {tag.removeprefix("W/") for tag in _tags(header)}
    )


def search_request(model, source: dict[str, Any]) -> SearchRequest:
    """``filter``, ``startIndex``, ``count``, ``attributes``, ``excludedAttributes`` from a
    query string or a ``/.search`` body; count defaults to 100 and is capped at 1000."""
    params = {key: value for key, value in source.items() if key != "schemas"}
    for key in ("startIndex", "count"):
        if isinstance(params.get(key), str):
            try:
                params[key] = int(params[key])
            except ValueError:
                raise ScimError(400, f"{key} must be an integer.", "invalidValue") from None
    search = validate(SearchRequest[model], params, Context.SEARCH_REQUEST)
    if search.count is not None and search.count > MAX_COUNT:
        search.count = MAX_COUNT
    return search


def page_bounds(search: SearchRequest) -> tuple[int, int]:
    start = search.start_index or 1
    count = DEFAULT_COUNT if search.count is None else max(search.count, 0)
    return max(start, 1), count


def scim_view(fn: Callable) -> Callable:
    """Declare a SCIM view: it needs ``system:scim`` (a system admin's API key or a SCIM
    token), and a missing or wrong credential is a SCIM 401."""
    guarded = requires("system:scim")(fn)

    @wraps(guarded)
    def view(*args: Any, **kwargs: Any) -> Any:
        if not current_user or not current_user.is_authenticated:
            message = g.get("auth_error") or "Send 'Authorization: Bearer <SCIM token>'."
            raise Unauthenticated(message, code="unauthenticated")
        return guarded(*args, **kwargs)

    setattr(view, ACCESS_ATTR, getattr(guarded, ACCESS_ATTR))
    return view
