"""Migrations: every revision applies to an empty database and matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from server import create_app
from server.extensions import db


def test_upgrade_empty_database_to_head_matches_models(database_url, tmp_path, request):
    if database_url.startswith("postgresql"):
        from tests.fixtures.postgres import create_database

        url = create_database(request.getfixturevalue("postgres_server"), "outpost_migrations")
    else:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    app = create_app({"database_url": url, "secret_key": "k" * 40, "data_dir": str(tmp_path)})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn)
            script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
            assert context.get_current_revision() == script.get_current_head()
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
