"""Alembic environment for Outpost, run through Flask-Migrate (``outpost db upgrade``)."""

from alembic import context
from flask import current_app

from server import models  # noqa: F401  (register every table on the metadata)

config = context.config
db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def render_item(type_, obj, autogen_context):
    """Write Outpost's column types as plain SQLAlchemy types so migrations stay self-contained."""
    from server.models.base import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=str(db.engine.url),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _configure_and_run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=render_item,
        **current_app.extensions["migrate"].configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on_sqlite(connection) -> None:
    """SQLite alters a table in batch mode by copying it, dropping the original and renaming
    the copy. With foreign keys enforced (every Outpost connection turns them on), dropping
    ``users`` would delete every row that references it ON DELETE CASCADE: API keys,
    memberships, sessions. So migrations run with enforcement off (SQLite only switches it
    outside a transaction) and must leave no dangling reference behind."""
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.commit()
    try:
        _configure_and_run(connection)
        dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    finally:
        connection.rollback()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
    if dangling:
        raise RuntimeError(f"migrations left rows with dangling foreign keys: {dangling[:10]}")


def run_migrations_online() -> None:
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            _run_on_sqlite(connection)
        else:
            _configure_and_run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
