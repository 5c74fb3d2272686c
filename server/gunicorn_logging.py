"""Gunicorn's own log lines, the way Outpost logs: JSON objects (unless
``OUTPOST_LOG_FORMAT=text``), and access lines that carry no secret.

An access line names the method, path, status, size, time and client. The token of a
capability URL (first-admin setup, invitations, the filesystem storage's signed URLs) is
replaced by ``[redacted]``; the query string and the referrer, which may hold such a link, are
left out. ``outpost serve`` runs gunicorn with ``--logger-class`` pointing here.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from gunicorn.glogging import Logger

from .logs import JsonFormatter, redact_path


def _log_format() -> str:
    from .config import ConfigError, load_settings

    try:
        return load_settings().log_format
    except ConfigError:
        return "json"


class OutpostLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        self.json = _log_format() == "json"
        if self.json:
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO") or "")
        method, protocol = environ.get("REQUEST_METHOD"), environ.get("SERVER_PROTOCOL")
        atoms.update({"r": f"{method} {path} {protocol}", "U": path, "q": "", "f": "-"})
        return atoms

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        if not self.json:
            return super().access(resp, req, environ, request_time)
        atoms = self.atoms(resp, req, environ, request_time)
        entry = {
            "time": datetime.now(UTC).isoformat(),
            "level": "INFO",
            "logger": "gunicorn.access",
            "message": f"{atoms['m']} {atoms['U']} {atoms['s']}",
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            "remote": atoms["h"],
            "user_agent": atoms["a"],
        }
        self.access_log.log(logging.INFO, json.dumps(entry))
