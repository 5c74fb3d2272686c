"""Is a newer schema one the previous release's code can still run on?

The schemas are compared as the database reports them (SQLAlchemy reflection) after the real
migrations ran, so whatever a migration does (``op.*``, batch table copies on SQLite, raw SQL)
is judged by its effect. Allowed, relative to the previous release's tables: new tables, new
columns that are nullable or have a server default, new non-unique indexes, dropped indexes.
Everything else the old code could trip over is a finding, written ``kind:table.column``:

- ``drop_table:T``, ``drop_column:T.C`` (a rename is a drop plus an add);
- ``alter_type:T.C``, ``set_not_null:T.C``;
- ``add_not_null_column:T.C`` (NOT NULL without a server default: old inserts fail);
- ``add_unique:T(C,...)``, ``add_foreign_key:T(C,...)`` unless one of the columns is new and
  nullable (the old code leaves it NULL, which neither collides nor references anything).

A finding passes only when ``server/migrations/expand_contract.toml`` lists it with a reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ALLOWLIST = Path(__file__).resolve().parents[2] / "server/migrations/expand_contract.toml"


@dataclass
class Table:
    columns: dict[str, tuple[str, bool, bool]]  # name -> (type, nullable, has server default)
    unique: set[tuple[str, ...]] = field(default_factory=set)
    foreign_keys: set[tuple[str, ...]] = field(default_factory=set)


def snapshot(url: str) -> dict[str, Table]:
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        tables = {}
        for name in inspector.get_table_names():
            if name == "alembic_version":
                continue
            columns = {
                c["name"]: (str(c["type"]), bool(c["nullable"]), c.get("default") is not None)
                for c in inspector.get_columns(name)
            }
            unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)}
            unique |= {tuple(i["column_names"]) for i in inspector.get_indexes(name) if i["unique"]}
            keys = {tuple(k["constrained_columns"]) for k in inspector.get_foreign_keys(name)}
            tables[name] = Table(columns, unique, keys)
        return tables
    finally:
        engine.dispose()


def _table_findings(name: str, old: Table, new: Table) -> list[str]:
    found = []
    for column, (type_, nullable, _default) in old.columns.items():
        if column not in new.columns:
            found.append(f"drop_column:{name}.{column}")
            continue
        new_type, new_nullable, _ = new.columns[column]
        if new_type != type_:
            found.append(f"alter_type:{name}.{column}")
        if nullable and not new_nullable:
            found.append(f"set_not_null:{name}.{column}")
    for column, (_type, nullable, default) in new.columns.items():
        if column not in old.columns and not nullable and not default:
            found.append(f"add_not_null_column:{name}.{column}")
    # A unique or foreign key with a new nullable column holds whatever the old code writes:
    # it leaves that column NULL, and NULL neither collides nor references anything.
    new_nullable = {
        c for c, (_t, nullable, _d) in new.columns.items() if c not in old.columns and nullable
    }
    for kind, added in (
        ("add_unique", new.unique - old.unique),
        ("add_foreign_key", new.foreign_keys - old.foreign_keys),
    ):
        for columns in sorted(added):
            if not set(columns) & new_nullable:
                found.append(f"{kind}:{name}({','.join(columns)})")
    return found


def incompatibilities(old: dict[str, Table], new: dict[str, Table]) -> list[str]:
    found = []
    for name, table in sorted(old.items()):
        if name not in new:
            found.append(f"drop_table:{name}")
        else:
            found += _table_findings(name, table, new[name])
    return found


def allowlist(path: Path = ALLOWLIST) -> dict[str, str]:
    """change -> reason, from the expand/contract allowlist."""
    entries = tomllib.loads(path.read_text()).get("contract", [])
    allowed = {}
    for entry in entries:
        reason = str(entry.get("reason", "")).strip()
        assert reason, f"{path.name}: {entry.get('change')!r} needs a reason"
        allowed[entry["change"]] = reason
    return allowed
