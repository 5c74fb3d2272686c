"""Shared fixtures: the app on SQLite and on a real PostgreSQL, clients, CLI runner."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from server import create_app
from server.extensions import db

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.licenses",
    "tests.fixtures.browser",
    "tests.fixtures.object_storage",
    "tests.fixtures.smtp",
    "tests.fixtures.alert_sinks",
    "tests.fixtures.redis",
]

SECRET = "test-secret-key-that-is-long-enough-0123456789"
BACKENDS = ["sqlite", "postgresql"]


def pytest_collection_modifyitems(config, items):
    """Browser tests drive the console once, on SQLite: the database layer under them is
    covered on both backends by the API tests."""
    keep, drop = [], []
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("database_url")
        if item.get_closest_marker("browser") and backend == "postgresql":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """Every database test runs once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'outpost.db'}"
    from tests.fixtures.postgres import create_database

    return create_database(request.getfixturevalue("postgres_server"), "outpost_test")


def _settings(database_url: str, data_dir, **extra):
    return {
        "database_url": database_url,
        "secret_key": SECRET,
        "data_dir": str(data_dir),
        "log_format": "text",
        "log_level": "WARNING",
        **extra,
    }


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Apply every migration once per backend (the schema the tests run on)."""
    from flask_migrate import upgrade

    app = create_app(_settings(database_url, tmp_path_factory.mktemp("schema")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (fresh ``g`` and database session), as in
    production, even though the test itself holds one open for its factories."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def make_app(_schema, tmp_path, vendor_key):
    """Build an app on the test database with extra settings; tables are emptied afterwards."""
    apps = []

    def factory(**overrides):
        overrides.setdefault("license_extra_public_keys", [vendor_key[1]])
        app = create_app(_settings(_schema, tmp_path / "data", **overrides))
        app.config["TESTING"] = True
        app.test_client_class = IsolatedClient
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            db.engine.dispose()
        break  # one cleanup empties the shared database
    for app in apps[1:]:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
