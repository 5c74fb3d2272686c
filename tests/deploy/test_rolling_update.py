"""During a rolling update the previous release keeps serving on the new schema.

Two checks, on SQLite and PostgreSQL, against the previous release found by the rule in
previous_release.py: every change since that release's schema is additive (schema_compat.py,
with the expand/contract allowlist), and the previous release's own code, exported with
``git archive``, seeds a database, sees it upgraded to head and still answers its API on it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask_migrate import upgrade

from server import create_app
from server.extensions import db
from tests.deploy.previous_release import (
    before_newest_migration_day,
    git,
    migration_files,
    previous_release,
)
from tests.deploy.schema_compat import allowlist, incompatibilities, snapshot

BACKENDS = ["sqlite", "postgresql"]


def database(backend: str, tmp_path: Path, request, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    from tests.fixtures.postgres import create_database

    return create_database(request.getfixturevalue("postgres_server"), name)


def upgrade_to(url: str, revision: str, data_dir: Path) -> None:
    """This checkout's migrations, up to ``revision``."""
    app = create_app({"database_url": url, "secret_key": "k" * 40, "data_dir": str(data_dir)})
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_migration_since_the_previous_release_only_expands(backend, tmp_path, request):
    release = previous_release()
    url = database(backend, tmp_path, request, "outpost_expand")
    upgrade_to(url, release.head_revision, tmp_path)
    before = snapshot(url)
    assert before, f"the previous release ({release.rule}) has no tables"
    upgrade_to(url, "head", tmp_path)
    found = incompatibilities(before, snapshot(url))
    allowed = allowlist()
    refused = [change for change in found if change not in allowed]
    assert not refused, (
        f"since the previous release ({release.rule}, {release.commit[:10]}), migrations make "
        f"changes its code cannot run on during a rolling update: {refused}. Make them "
        "additive, or list each in server/migrations/expand_contract.toml with the reason "
        "(deploy/README.md, 'Upgrades and rollbacks')."
    )
    stale = sorted(set(allowed) - set(found))
    assert not stale, f"expand_contract.toml lists changes no migration makes any more: {stale}"


def _sqlite_schema(path: Path, ddl: str) -> str:
    with sqlite3.connect(path) as conn:
        conn.executescript(ddl)
    conn.close()
    return f"sqlite:///{path}"


OLD_DDL = """
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE runs (id INTEGER PRIMARY KEY, team_id INTEGER, name TEXT, notes TEXT,
                   state TEXT NOT NULL, legacy TEXT);
CREATE TABLE old_feature (id INTEGER PRIMARY KEY);
"""


def test_the_checker_accepts_additive_changes_and_names_every_breaking_one(tmp_path):
    old = snapshot(_sqlite_schema(tmp_path / "old.db", OLD_DDL))
    additive = (
        OLD_DDL
        + """
        CREATE TABLE new_feature (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL
                                  REFERENCES teams (id));
        ALTER TABLE runs ADD COLUMN summary TEXT;
        ALTER TABLE runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN owner_id INTEGER REFERENCES teams (id);
        CREATE INDEX ix_runs_team_state ON runs (team_id, state);
        ALTER TABLE runs ADD COLUMN external_id TEXT;
        CREATE UNIQUE INDEX ux_runs_team_external ON runs (team_id, external_id);
    """
    )
    assert incompatibilities(old, snapshot(_sqlite_schema(tmp_path / "add.db", additive))) == []

    breaking = """
        CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE runs (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams (id),
                           title TEXT, notes TEXT NOT NULL, state INTEGER NOT NULL,
                           legacy TEXT, kind TEXT NOT NULL);
        CREATE UNIQUE INDEX ux_runs_legacy ON runs (legacy);
    """
    found = incompatibilities(old, snapshot(_sqlite_schema(tmp_path / "break.db", breaking)))
    assert found == [
        "drop_table:old_feature",
        "drop_column:runs.name",  # renamed to title: the old code still names it
        "set_not_null:runs.notes",
        "alter_type:runs.state",
        "add_not_null_column:runs.kind",
        "add_unique:runs(legacy)",
        "add_foreign_key:runs(team_id)",
    ]


def test_the_allowlist_needs_a_reason_for_each_entry(tmp_path):
    listed = tmp_path / "expand_contract.toml"
    listed.write_text('[[contract]]\nchange = "drop_column:runs.legacy"\nreason = "0.3 stopped"\n')
    assert allowlist(listed) == {"drop_column:runs.legacy": "0.3 stopped"}
    listed.write_text('[[contract]]\nchange = "drop_column:runs.legacy"\n')
    with pytest.raises(AssertionError, match="needs a reason"):
        allowlist(listed)
    assert allowlist() == {}  # the project's own list is empty today


def test_the_previous_release_can_be_named_and_defaults_to_before_the_newest_migrations(
    monkeypatch,
):
    monkeypatch.setenv("OUTPOST_PREVIOUS_RELEASE", "HEAD~2")
    assert previous_release().commit == git("rev-parse", "HEAD~2").strip()

    # Before any tagged release with a schema: the newest first-parent commit without a
    # migration of the newest day, whose successor on main brought the first of them.
    before = before_newest_migration_day()
    day = max(name[:8] for name in migration_files("HEAD"))
    assert not any(name.startswith(day) for name in migration_files(before))
    first_parent = git("rev-list", "--first-parent", "HEAD").split()
    successor = first_parent[first_parent.index(before) - 1]
    assert any(name.startswith(day) for name in migration_files(successor))
