"""One exception hierarchy and one JSON error shape: ``{"error": {"code", "message", ...}}``.

Services raise these; the API turns them into JSON and the console into pages. Views never
build error responses by hand.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from .database_errors import BUSY_MESSAGE, READ_ONLY_MESSAGE, database_problem

log = logging.getLogger(__name__)


class OutpostError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        body.update(self.details)
        return {"error": body}


class BadRequest(OutpostError):
    status, code = 400, "bad_request"


class Unauthenticated(OutpostError):
    status, code = 401, "unauthenticated"


class Forbidden(OutpostError):
    status, code = 403, "forbidden"


class NotFound(OutpostError):
    status, code = 404, "not_found"


class Conflict(OutpostError):
    status, code = 409, "conflict"


class ValidationFailed(OutpostError):
    status, code = 422, "validation_failed"


class RateLimited(OutpostError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(OutpostError):
    status, code = 503, "unavailable"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


def wants_json() -> bool:
    """API paths always get JSON; elsewhere JSON when the client prefers it over HTML."""
    if request.path.startswith("/api/") or request.path.startswith("/storage/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _render(error: OutpostError):
    if not wants_json():
        if error.status == 401 and request.method == "GET":
            return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
        return render_template("error.html", error=error), error.status
    response = jsonify(error.to_dict())
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="outpost"'
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(OutpostError)
    def handle_outpost_error(error: OutpostError):
        return _render(error)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        wrapped = OutpostError(
            "The form expired or did not come from this site. Reload the page and try again.",
            code="csrf_failed",
        )
        return _render(wrapped)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        if status == 429:
            message = "Too many requests. Wait a minute and try again."
        else:
            message = error.description or error.name
        wrapped = OutpostError(message, code=_HTTP_CODES.get(status, "http_error"))
        wrapped.status = status
        return _render(wrapped)

    @app.errorhandler(DBAPIError)
    def handle_database_error(error: DBAPIError):
        problem = database_problem(error)
        if problem is None:
            return handle_unexpected(error)
        log.warning("database refused a statement (%s): %s", problem, error.orig)
        message = READ_ONLY_MESSAGE if problem == "read_only" else BUSY_MESSAGE
        wrapped = ServiceUnavailable(message, code=f"database_{problem}")
        return _render(wrapped)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("unhandled error", extra={"path": request.path})
        wrapped = OutpostError("Something went wrong on the server.", code="internal_error")
        wrapped.status = 500
        return _render(wrapped)
