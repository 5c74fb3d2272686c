"""The OpenAPI document is generated from the route declarations and covers every endpoint."""

from flask import current_app


def test_every_api_endpoint_is_documented(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", f"{{{name}}}")
            for conv in ("int", "string", "path", "uuid"):
                path = path.replace(f"<{conv}:{name}>", f"{{{name}}}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, f"{method} {path} missing from OpenAPI"


def test_operations_name_their_permission_and_body(client):
    doc = client.get("/api/v1/openapi.json").json
    create = doc["paths"]["/api/v1/viewer/api-keys"]["post"]
    assert create["x-permission"] == "viewer:manage_keys"
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "name" in schema["properties"]
    listing = doc["paths"]["/api/v1/viewer/api-keys"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"cursor", "limit"}
