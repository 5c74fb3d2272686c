"""``/api/v1/openapi.json``: generated from the endpoint declarations in :mod:`.routing`."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app

from . import api
from .routing import SPEC_ATTR, EndpointSpec, endpoint

_CONVERTER = re.compile(r"<(?:([a-z]+):)?([a-zA-Z_]+)>")
# What each URL converter accepts (werkzeug's ``int`` takes digits only: no sign).
_PATH_SCHEMAS = {"int": {"type": "integer", "minimum": 0}}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "additionalProperties": True,
        }
    },
}


def _operation(
    spec: EndpointSpec, path_params: list[tuple[str, str]], components: dict
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": spec.summary,
        "tags": [spec.tag],
        "parameters": [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": dict(_PATH_SCHEMAS.get(converter, {"type": "string"})),
            }
            for converter, name in path_params
        ],
        "responses": {
            str(spec.status): {"description": "Success"},
            "default": {
                "description": "Error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
    }
    for status, description in spec.responses.items():
        op["responses"][str(status)] = {"description": description}
    if spec.permission:
        op["x-permission"] = spec.permission
        op["security"] = [{"bearer": []}, {"basic": []}]
        op["responses"].setdefault("401", {"description": "Missing or invalid API key"})
        op["responses"].setdefault("403", {"description": "Permission denied"})
    else:
        op["security"] = []
    if spec.query is not None:
        schema = spec.query.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            op["parameters"].append(
                {"name": name, "in": "query", "required": name in required, "schema": prop}
            )
    if spec.body is not None:
        name = spec.body.__name__
        schema = spec.body.model_json_schema(ref_template="#/components/schemas/{model}")
        for def_name, definition in schema.pop("$defs", {}).items():
            components[def_name] = definition
        components[name] = schema
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
        }
    return op


def build_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for rule in current_app.url_map.iter_rules():
        view = current_app.view_functions.get(rule.endpoint)
        spec = getattr(view, SPEC_ATTR, None)
        if spec is None:
            continue
        path = _CONVERTER.sub(r"{\2}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(
                spec, _CONVERTER.findall(rule.rule), components
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Outpost API",
            "version": "1",
            "description": "The REST API under /api/v1. SCIM 2.0 provisioning (/scim/v2) is not "
            "described here: it describes itself with /scim/v2/ServiceProviderConfig, "
            "/scim/v2/ResourceTypes and /scim/v2/Schemas.",
        },
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
            },
        },
    }


@endpoint(api, "/openapi.json", "GET", is_public=True, summary="This OpenAPI document")
def openapi_document():
    return build_document()
