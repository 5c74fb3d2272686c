"""``/system/settings``: the system settings, their effective values and where they come from."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, create_model

from ..services import system_settings as service
from . import api
from .routing import endpoint

UpdateSettings = create_model(
    "UpdateSettings",
    __config__=ConfigDict(extra="allow"),
    **{
        spec.name: (Any, Field(default=None, description=f"{spec.description} (null: default)"))
        for spec in service.SETTINGS.values()
    },
)


def _body() -> dict[str, Any]:
    return {"settings": service.describe_settings()}


@endpoint(
    api,
    "/system/settings",
    "GET",
    permission="system:settings",
    summary="Every system setting: effective value, default, source (default/database/environment)",
)
def get_system_settings():
    return _body()


@endpoint(
    api,
    "/system/settings",
    "PATCH",
    permission="system:settings",
    body=UpdateSettings,
    summary="Change system settings; all or nothing, null returns a setting to its default",
)
def update_system_settings(body):
    service.update_settings(body.model_dump(exclude_unset=True))
    return _body()
