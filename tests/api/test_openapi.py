"""The OpenAPI document is generated from the route declarations and covers every endpoint:
each with its path parameters, its permission (or that it is public), and every list with
cursor pagination."""

import re

from flask import current_app
from werkzeug.routing import IntegerConverter

from server.auth.declare import access_of
from tests.api_world import path_values, seed_world
from tests.factories import bearer

_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?(\w+)>")

# Lists inside a GET answer that are not pages: fixed vocabularies or a few values of one
# object. A new one must be added here on purpose (or be a paginated ``items``).
BOUNDED_LISTS = {
    "/api/v1/openapi.json": {"servers"},
    "/api/v1/roles": {"builtin"},
    "/api/v1/roles/{name}": {"permissions"},
    "/api/v1/system/activity": {
        "active_users",
        "runs_created",
        "sign_ins",
        "top_teams",
        "top_users",
    },
    "/api/v1/system/license": {"features"},
    "/api/v1/system/settings": {"settings"},
    "/api/v1/teams/{team}/projects/{project}/artifacts/{name}/versions/{version}": {"aliases"},
    "/api/v1/teams/{team}/projects/{project}/runs/{run_id}": {"tags"},
    "/api/v1/teams/{team}/projects/{project}/workspace": {"panels", "sections"},
    "/api/v1/teams/{team}/registry/models/{model}/versions/{version}": {"aliases"},
    "/api/v1/users/{username}": {"teams"},
}


def _api_rules():
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method, _ARGUMENT.sub(r"{\1}", rule.rule)


def test_every_api_endpoint_is_documented(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    for _, method, path in _api_rules():
        assert (path, method) in documented, f"{method} {path} missing from OpenAPI"


def test_every_operation_declares_its_path_parameters_and_access(client):
    doc = client.get("/api/v1/openapi.json").json
    for rule, method, path in _api_rules():
        op = doc["paths"][path][method.lower()]
        label = f"{method} {path}"
        params = {p["name"]: p["schema"] for p in op["parameters"] if p["in"] == "path"}
        assert set(params) == set(rule.arguments), label
        for name, converter in rule._converters.items():
            expected = "integer" if isinstance(converter, IntegerConverter) else "string"
            assert params[name]["type"] == expected, f"{label}: {name}"
        access = access_of(current_app.view_functions[rule.endpoint])
        if access.public:
            assert "x-permission" not in op and op["security"] == [], label
        else:
            assert op["x-permission"] == access.permission, label
            assert op["security"] and {"401", "403"} <= set(op["responses"]), label


def test_operations_name_their_permission_and_body(client):
    doc = client.get("/api/v1/openapi.json").json
    create = doc["paths"]["/api/v1/viewer/api-keys"]["post"]
    assert create["x-permission"] == "viewer:manage_keys"
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "name" in schema["properties"]
    listing = doc["paths"]["/api/v1/viewer/api-keys"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"cursor", "limit"}


def test_every_list_is_paginated_and_documented_so(app, client, issue_license):
    """Every GET answering ``items`` documents ``cursor`` and ``limit``, honours the limit and
    returns ``next_cursor``; every GET documenting them answers a page."""
    world = seed_world(app, issue_license())
    doc = client.get("/api/v1/openapi.json").json
    headers = bearer(world["key"])
    for path, ops in doc["paths"].items():
        if "get" not in ops:
            continue
        url = path
        for name, value in path_values(path, world).items():
            url = url.replace(f"{{{name}}}", value)
        query = {p["name"] for p in ops["get"]["parameters"] if p["in"] == "query"}
        response = client.get(url, query_string={"limit": 1}, headers=headers)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
        body = response.get_json(silent=True)
        assert not isinstance(body, list), f"{path} answers a bare list"
        lists = {k for k, v in body.items() if isinstance(v, list)} if body else set()
        assert lists - {"items"} <= BOUNDED_LISTS.get(path, set()), f"{path}: {lists}"
        is_page = isinstance(body, dict) and "items" in body
        assert is_page == ({"cursor", "limit"} <= query), f"{path}: page {is_page}, query {query}"
        if is_page:
            assert len(body["items"]) <= 1 and "next_cursor" in body, path
            if body["next_cursor"]:
                more = {"limit": 1, "cursor": body["next_cursor"]}
                assert client.get(url, query_string=more, headers=headers).status_code == 200
