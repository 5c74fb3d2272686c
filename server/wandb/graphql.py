"""``POST /graphql``: the W&B SDK's GraphQL requests, dispatched on the document's root fields.

Clients send ``{"query", "variables", "operationName"}``; Python-side queries often name no
operation, so the document decides. Each root field has a resolver in a noun module; a root
field Outpost does not know answers null. A domain error in one root field becomes a GraphQL
error for it (its data null), with Outpost's error code in ``extensions``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import request
from graphql import GraphQLError, parse, value_from_ast_untyped

from ..auth import requires
from ..errors import BadRequest, OutpostError
from . import artifact_uploads, artifacts, runs, viewer
from .executor import Context, complete, fragments_of, operation_of
from .schema import type_info

MAX_QUERY_CHARS = 100_000

QUERIES: dict[str, Any] = {**viewer.QUERIES, **runs.QUERIES, **artifacts.QUERIES}
MUTATIONS: dict[str, Any] = {
    **runs.MUTATIONS,
    **artifacts.MUTATIONS,
    **artifact_uploads.MUTATIONS,
}
_ROOT_FIELDS = {"Query": sorted(QUERIES), "Mutation": sorted(MUTATIONS)}


def _payload() -> tuple[str, dict[str, Any], str | None]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise BadRequest("Send a JSON body with a GraphQL 'query'.", code="malformed_graphql")
    if len(body["query"]) > MAX_QUERY_CHARS:
        raise BadRequest("The GraphQL document is too long.", code="malformed_graphql")
    variables = body.get("variables") or {}
    if not isinstance(variables, dict):
        raise BadRequest("'variables' must be an object.", code="malformed_graphql")
    return body["query"], variables, body.get("operationName") or None


def _with_defaults(operation, variables: dict[str, Any]) -> dict[str, Any]:
    merged = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in merged and definition.default_value is not None:
            merged[name] = value_from_ast_untyped(definition.default_value, {})
        # A declared variable the client left out is null (graphql-core would hand the
        # resolvers its Undefined sentinel inside input objects).
        merged.setdefault(name, None)
    return merged


@lru_cache(maxsize=256)
def _parsed(query: str):
    """SDKs send the same few documents over and over: parse each once per worker (the
    executor only reads the tree)."""
    return parse(query)


def execute(query: str, variables: dict[str, Any], name: str | None) -> dict[str, Any]:
    try:
        document = _parsed(query)
    except GraphQLError as exc:
        raise BadRequest(f"GraphQL syntax error: {exc.message}", code="malformed_graphql") from None
    operation = operation_of(document, name)
    if operation is None:
        raise BadRequest("No such operation in the document.", code="malformed_graphql")
    ctx = Context(fragments_of(document), _with_defaults(operation, variables))
    roots = MUTATIONS if operation.operation.value == "mutation" else QUERIES
    data: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for node in ctx.fields(operation.selection_set):
        key = node.alias.value if node.alias else node.name.value
        resolver = roots.get(node.name.value)
        if node.name.value == "__typename":
            data[key] = "Mutation" if roots is MUTATIONS else "Query"
            continue
        if node.name.value == "__type":
            info = type_info(ctx.arguments(node).get("name"), _ROOT_FIELDS)
            data[key] = complete(ctx, info, node.selection_set)
            continue
        try:
            value = resolver(**ctx.arguments(node)) if resolver else None
            data[key] = complete(ctx, value, node.selection_set)
        except OutpostError as exc:
            from ..extensions import db

            db.session.rollback()
            data[key] = None
            errors.append(error_entry(exc, path=[key]))
    return {"data": data, **({"errors": errors} if errors else {})}


def error_entry(exc: OutpostError, path: list[str] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"message": exc.message, "extensions": {"code": exc.code}}
    if path:
        entry["path"] = path
    return entry


@requires("viewer:read")
def graphql_endpoint():
    query, variables, name = _payload()
    return execute(query, variables, name)
