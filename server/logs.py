"""Structured logging: one JSON object per line (or plain text), never a secret."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from flask import Flask, has_request_context, request

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

# URLs whose token is the credential: the first-admin setup link, invitation links and the
# filesystem storage's signed URLs. Logs show where such a request went, never the token.
_CAPABILITY_PATH = re.compile(
    r"^(/setup/|/invite/|/invitations/|/api/v1/invitations/|/storage/fs/)[^/]+"
)


def redact_path(path: str) -> str:
    """``path`` with the token of a capability URL replaced by ``[redacted]``."""
    return _CAPABILITY_PATH.sub(r"\1[redacted]", path)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["method"] = request.method
            entry["path"] = redact_path(request.path)
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if isinstance(entry.get("path"), str):
            entry["path"] = redact_path(entry["path"])
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def init_app(app: Flask) -> None:
    settings = app.config["OUTPOST"]
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("server")
    logger.handlers[:] = [handler]
    logger.setLevel(settings.log_level.upper())
    logger.propagate = False
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(settings.log_level.upper())
