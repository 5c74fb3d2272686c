"""Fuzz every operation of the OpenAPI document with schemathesis against the real app.

A system admin's API key calls each operation on a seeded world (a team with its bucket, a
project, a run with history and a file, a sweep, a report with a comment, an artifact with a
committed version and an alias, a registered model, a custom role, a service account...), with
a small fixed number of derandomized examples, valid and invalid. Each answer must be below
500, a 4xx must carry the JSON error shape, and a success must have the documented status.

The world is built once; each test gets a fresh copy of its SQLite database and storage
directory. SQLite only: the database layer is covered on both backends by the other API tests.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from flask_migrate import upgrade
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from license import License
from license.issue import sign_license
from server import create_app
from server.api.openapi import build_document
from server.extensions import db
from tests.api_world import path_values, seed_world
from tests.conftest import IsolatedClient
from tests.factories import bearer
from tests.fixtures.licenses import ALL_FEATURES, TEST_KID

EXAMPLES = 25  # per operation


def _settings(data_dir, public_key_path: str) -> dict:
    return {
        "data_dir": str(data_dir),
        "database_url": f"sqlite:///{data_dir}/outpost.db",
        "secret_key": "fuzz-secret-key-that-is-long-enough-0123456789",
        "license_extra_public_keys": [public_key_path],
        "log_format": "text",
        "log_level": "CRITICAL",
    }


def _operations() -> list[tuple[str, str]]:
    """Every (method, path) of the document, read from an app that touches no database."""
    import tempfile

    with tempfile.TemporaryDirectory() as data_dir:
        with create_app(_settings(data_dir, "")).app_context():
            paths = build_document()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


OPERATIONS = _operations()


def _license(private_key) -> str:
    now = datetime.now(UTC)
    claims = License(
        license_id="lic_fuzz",
        customer_name="Acme Research",
        customer_email="it@acme.test",
        issued_at=now,
        not_before=now,
        expires_at=now + timedelta(days=365),
        seats=50,
        features=ALL_FEATURES,
    )
    return sign_license(claims, private_key, kid=TEST_KID)


def _json(response):
    try:
        return response.json()
    except ValueError:
        return None


def _check(case, response) -> None:
    label = (
        f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r}"
        f" -> {response.status_code}"
    )
    assert response.status_code < 500, f"{label}: {response.text[:500]}"
    if 400 <= response.status_code < 500:
        body = _json(response)
        assert isinstance(body, dict) and isinstance(body.get("error"), dict), label
        assert isinstance(body["error"].get("code"), str) and body["error"]["code"], label
        assert isinstance(body["error"].get("message"), str), label
    elif 200 <= response.status_code < 300:
        documented = [int(s) for s in case.operation.definition.raw["responses"] if s.isdigit()]
        success = [s for s in documented if s < 300]
        assert response.status_code in success, f"{label}: documented {success}"


@pytest.fixture(scope="module")
def world(tmp_path_factory, vendor_key):
    """The app, its seeded template copy, the path-parameter values and the loaded schema."""
    base = tmp_path_factory.mktemp("fuzz")
    live, template = base / "live", base / "template"
    live.mkdir()
    app = create_app(_settings(live, vendor_key[1]))
    app.config["TESTING"] = True
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        values = seed_world(app, _license(vendor_key[0]))
        document = build_document()
        db.session.remove()
        db.engine.dispose()
    shutil.copytree(live, template)
    schema = schemathesis.openapi.from_dict(document)
    # Our own key authenticates every call; unknown query parameters are ignored by design.
    schema.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)
    return app, live, template, values, schema


@pytest.fixture
def fresh_world(world):
    """The seeded world as it was before any test changed it."""
    app, live, template, values, schema = world
    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(live)
    shutil.copytree(template, live)
    return app, values, schema


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_never_fails_on_the_server(fresh_world, method, path):
    # No app context is held here: each request gets its own, as in production.
    app, world, schema = fresh_world
    operation = schema[path][method]
    values = path_values(path, world)
    fixed = {name: values[name] for name in values if f"{{{name}}}" in path}
    headers = bearer(world["key"])

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data):
        mode = data.draw(st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]))
        seeded = data.draw(st.sampled_from([True, True, False])) if fixed else False
        strategy = operation.as_strategy(mode, path_parameters=fixed if seeded else None)
        case = data.draw(strategy)
        response = case.call(app=app, headers=headers)
        _check(case, response)
        case.validate_response(response, checks=[negative_data_rejection])

    run()
