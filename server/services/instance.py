"""Instance-wide state kept in the database: the instance id and other key/value settings."""

from __future__ import annotations

import uuid
from typing import Any

from ..extensions import db
from ..models import InstanceSetting


def get_value(key: str, default: Any = None) -> Any:
    row = db.session.get(InstanceSetting, key)
    return default if row is None else row.value


def set_value(key: str, value: Any) -> None:
    """Stage ``key = value`` in the caller's transaction."""
    row = db.session.get(InstanceSetting, key)
    if row is None:
        db.session.add(InstanceSetting(key=key, value=value))
    else:
        row.value = value


def delete_value(key: str) -> None:
    row = db.session.get(InstanceSetting, key)
    if row is not None:
        db.session.delete(row)


def instance_id() -> str:
    """This installation's stable id (licenses may be bound to it); created on first use."""
    value = get_value("instance_id")
    if value is None:
        value = str(uuid.uuid4())
        set_value("instance_id", value)
        db.session.commit()
    return value
