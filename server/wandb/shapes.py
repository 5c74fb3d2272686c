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

import orjson

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
# The lenient decoder, for what the fast one refuses: NaN and infinities (decoded straight to
# strings), lone surrogates. One instance for every call: json.loads with an option builds a
# new decoder each time, which costs as much as decoding a history row.
_DECODER = json.JSONDecoder(parse_constant=_NON_FINITE.__getitem__)
# orjson reads an integer outside [-2**63, 2**64) as a float: text whose values hold a float
# that large goes to the exact decoder (which reads it as orjson did if it was a float).
_LOW, _HIGH = -(2.0**63), 2.0**64


def _beyond_int64(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is float:
            if not _LOW <= item < _HIGH and item == item:
                return True
        elif kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
    return False


def _decode(text: str) -> Any:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        pass  # NaN, infinities, lone surrogates
    else:
        if not _beyond_int64(value):
            return finite(value) if "\\u0000" in text else value
    return finite(_DECODER.decode(text))


def load_json(text: Any, what: str) -> Any:
    """A JSON string from the client (or an already decoded value), with NaN and infinities
    as strings. History rows are parsed on the hot path: with orjson, unless the text holds
    what only the standard decoder reads as Outpost stores it."""
    if text is None or not isinstance(text, str):
        return finite(text)
    try:
        return _decode(text)
    except (ValueError, KeyError, RecursionError):
        raise ValidationFailed(f"{what} is not valid JSON.", code="malformed_json") from None


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
