"""W&B's wire shapes, translated at the door: global ids, wrapped config, JSON strings.

Outpost stores its own model (plain config and summary objects); W&B clients send and expect
config as ``{"key": {"value": ...}}`` and summaries, configs and metrics as JSON *strings*.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from datetime import datetime
from typing import Any

from ..errors import ValidationFailed

# Keys the SDK keeps for itself; Outpost does not store them with the user's config/summary.
CLIENT_CONFIG_KEYS = ("_wandb",)
CLIENT_SUMMARY_KEYS = ("_wandb", "_runtime", "_step", "_timestamp")


def gid(kind: str, pk: int) -> str:
    """W&B's global id: base64 of ``Kind:pk``."""
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


def parse_gid(value: Any, kind: str) -> int:
    """The primary key inside a global id of ``kind``; ValidationFailed otherwise."""
    try:
        found, _, pk = base64.b64decode(str(value), validate=True).decode().partition(":")
        if found == kind and pk.isdigit():
            return int(pk)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise ValidationFailed(f"{value!r} is not a {kind} id.", code="invalid_id")


def iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=None).isoformat(timespec="seconds") if value else None


def finite(value: Any) -> Any:
    """JSON as Outpost stores it: NaN and infinities (which W&B clients send) become the
    strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k).replace("\x00", ""): finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    if isinstance(value, str):
        return value.replace("\x00", "")
    return value


_NON_FINITE = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}
# One decoder for every call: json.loads with an option builds a new decoder each time, which
# costs as much as decoding a history row.
_DECODER = json.JSONDecoder(parse_constant=_NON_FINITE.__getitem__)


def load_json(text: Any, what: str) -> Any:
    """A JSON string from the client (or an already decoded value), with NaN and infinities
    as strings (decoded straight to strings: history rows are parsed on the hot path)."""
    if text is None or not isinstance(text, str):
        return finite(text)
    try:
        value = _DECODER.decode(text)
    except (ValueError, KeyError):
        raise ValidationFailed(f"{what} is not valid JSON.", code="malformed_json") from None
    return finite(value) if "\\u0000" in text else value


def unwrap_config(text: Any) -> dict[str, Any]:
    """``{"lr": {"value": 0.1, "desc": ...}}`` → ``{"lr": 0.1}``, without the SDK's keys."""
    raw = load_json(text, "config") or {}
    if not isinstance(raw, dict):
        raise ValidationFailed("config must be a JSON object.", code="invalid_config")
    return {
        key: item["value"] if isinstance(item, dict) and "value" in item else item
        for key, item in raw.items()
        if key not in CLIENT_CONFIG_KEYS
    }


def wrap_config(config: dict[str, Any] | None) -> str:
    return json.dumps({key: {"value": value} for key, value in (config or {}).items()})


def user_summary(summary: Any) -> dict[str, Any]:
    if not isinstance(summary, dict):
        raise ValidationFailed("The summary must be a JSON object.", code="invalid_summary")
    return {k: v for k, v in summary.items() if k not in CLIENT_SUMMARY_KEYS}


def dumps(value: Any) -> str:
    return json.dumps(value if value is not None else {})
