"""Declaring API endpoints: one decorator that registers the route, enforces its access
declaration, parses the JSON body and query with pydantic, and records what the OpenAPI document
needs. The OpenAPI document is generated from these declarations."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, g, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import BadRequest as MalformedBody

from ..auth.declare import ACCESS_ATTR, PRELOAD_ATTR, PRELOADABLE, public, requires
from ..errors import BadRequest, Unauthenticated, ValidationFailed

SPEC_ATTR = "_outpost_openapi"


@dataclass(frozen=True)
class EndpointSpec:
    summary: str
    tag: str
    permission: str | None
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    responses: dict[int, str] = field(default_factory=dict)


def _errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _unstorable(payload: Any) -> tuple[str, str] | None:
    """A value JSON parsers accept but a database cannot store, as (field, code):
    NaN and infinite numbers (not JSON, refused by PostgreSQL) and strings with a NUL
    character (refused by PostgreSQL text columns). Walks without recursion."""
    stack: list[tuple[str, Any]] = [("", payload)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return where or "body", "invalid_number"
        if isinstance(value, str) and "\x00" in value:
            return where or "body", "invalid_characters"
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return where or "body", "invalid_characters"
                stack.append((f"{where}.{key}" if where else str(key), item))
        elif isinstance(value, list):
            stack.extend(
                (f"{where}.{i}" if where else str(i), item) for i, item in enumerate(value)
            )
    return None


_UNSTORABLE = {
    "invalid_number": "NaN and infinite numbers are not JSON: send null or a string instead.",
    "invalid_characters": "Text may not contain NUL (\\u0000) characters.",
}


def _parse_body(model: type[BaseModel]) -> BaseModel:
    if not request.is_json:
        raise BadRequest("Send a JSON body with 'Content-Type: application/json'.", code="not_json")
    try:
        payload = request.get_json()
    except (MalformedBody, RecursionError):
        raise BadRequest("The request body is not valid JSON.", code="malformed_json") from None
    problem = _unstorable(payload)
    if problem:
        where, code = problem
        message = _UNSTORABLE[code]
        raise ValidationFailed(message, code=code, errors=[{"field": where, "message": message}])
    try:
        return model.model_validate(payload, strict=True)
    except ValidationError as exc:
        raise ValidationFailed("The request body is invalid.", errors=_errors(exc)) from None


def _parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise ValidationFailed("The query parameters are invalid.", errors=_errors(exc)) from None


def _require_principal() -> None:
    if not current_user or not current_user.is_authenticated:
        message = g.get("auth_error") or "Send an API key: 'Authorization: Bearer <key>'."
        code = "invalid_api_key" if g.get("auth_error") else "unauthenticated"
        raise Unauthenticated(message, code=code)


def endpoint(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    permission: str | None = None,
    is_public: bool = False,
    resource: Callable[..., Any] | None = None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    status: int = 200,
    responses: dict[int, str] | None = None,
    accepts_raw: bool = False,
    preload: tuple[str, ...] = (),
) -> Callable:
    """Register ``rule`` for one HTTP ``method`` with its access declaration.

    Exactly one of ``permission`` and ``is_public`` must be given. The view receives ``body``
    and ``query`` (validated models) and ``resource`` (from the loader) as keyword arguments.
    With ``accepts_raw`` a non-JSON body is allowed and the view gets ``body=None``. ``preload``
    names what the API-key lookup reads with the principal, in its one query (``default_team``).
    """
    if (permission is None) == (not is_public):
        raise ValueError(f"{rule}: declare exactly one of permission= or is_public=True")
    if not PRELOADABLE.issuperset(preload):
        raise ValueError(f"{rule}: cannot preload {sorted(set(preload) - PRELOADABLE)}")

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def parsed(*args: Any, **kwargs: Any) -> Any:
            if body is not None:
                raw = accepts_raw and not request.is_json
                kwargs["body"] = None if raw else _parse_body(body)
            if query is not None:
                kwargs["query"] = _parse_query(query)
            return fn(*args, **kwargs)

        if is_public:
            view = public(parsed)
        else:
            guarded = requires(permission, resource)(parsed)

            @wraps(guarded)
            def view(*args: Any, **kwargs: Any) -> Any:
                _require_principal()
                return guarded(*args, **kwargs)

            setattr(view, ACCESS_ATTR, getattr(guarded, ACCESS_ATTR))
            setattr(view, PRELOAD_ATTR, preload)
        spec = EndpointSpec(
            summary=summary,
            tag=bp.name if bp.name != "api" else rule.strip("/").split("/")[0],
            permission=permission,
            body=body,
            query=query,
            status=status,
            responses=responses or {},
        )
        setattr(view, SPEC_ATTR, spec)
        bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method])
        return fn

    return decorator
