"""``/system/audit-log``: filter, page through and export the audit log (system admins)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from flask import Response, request, stream_with_context
from pydantic import BaseModel, ConfigDict, Field

from ..services import audit
from ..services import audit_log as service
from . import api
from .pagination import PageQuery
from .routing import endpoint


class AuditFilters(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str | None = Field(
        default=None,
        alias="from",
        description="ISO date (whole UTC day) or date-time, inclusive, e.g. 2026-01-31.",
    )
    to: str | None = Field(
        default=None, description="ISO date (through that whole day) or date-time, inclusive."
    )
    actor: str | None = Field(default=None, description="Username (or recorded actor name).")
    action: str | None = Field(
        default=None, description="Exact action (team:create) or a prefix ending in ':' or '*'."
    )
    team: str | None = Field(default=None, description="Team name (slug).")
    result: Literal["success", "failure"] | None = None


class AuditLogQuery(AuditFilters, PageQuery):
    pass


class AuditExportQuery(AuditFilters):
    format: Literal["ndjson", "csv"] = Field(default="ndjson", description="ndjson or csv.")


def _filters():
    return service.parse_filters(request.args)


@endpoint(
    api,
    "/system/audit-log",
    "GET",
    permission="system:audit",
    query=AuditLogQuery,
    summary="Audit events, newest first; filter by date range, actor, action, team, result",
)
def list_audit_log(query: AuditLogQuery):
    events, next_cursor = service.list_events(_filters(), cursor=query.cursor, limit=query.limit)
    return {"items": events, "next_cursor": next_cursor}


@endpoint(
    api,
    "/system/audit-log/export",
    "GET",
    permission="system:audit",
    query=AuditExportQuery,
    summary="Export the matching audit events as NDJSON or CSV (streamed)",
    responses={200: "application/x-ndjson or text/csv"},
)
def export_audit_log(query: AuditExportQuery):
    return export_response(_filters(), query.format)


def export_response(filters: service.AuditFilter, fmt: str) -> Response:
    """A streamed download of the events matching ``filters``; the export itself is audited.
    Shared with the console's download links."""
    lines = service.export_lines(filters, fmt)  # refuses bad filters before streaming starts
    audit.record_now(
        "audit_log:export",
        target_type="audit_log",
        details={"format": fmt, "filters": filters.params},
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    mimetype = "application/x-ndjson" if fmt == "ndjson" else "text/csv"
    response = Response(stream_with_context(lines), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
