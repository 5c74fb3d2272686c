"""``/admin/audit-log``: filter, page through and download the audit log.

The filter form is a plain GET form (nothing changes, so no CSRF token is needed); pages
continue with an "Older" link carrying the cursor. Downloads stream NDJSON or CSV with the
same filters as the API's export.
"""

from __future__ import annotations

from flask import render_template, request, url_for

from ..auth import requires
from ..errors import ValidationFailed
from ..services import audit_log as service
from . import bp

PAGE_SIZE = 50
ACTION_PREFIXES = (
    "api_key:",
    "audit_log:",
    "instance:",
    "license:",
    "member:",
    "role:",
    "service_account:",
    "system:",
    "team:",
    "user:",
    "user:login",
)


@bp.get("/admin/audit-log")
@requires("system:audit")
def admin_audit_log():
    given = {name: request.args.get(name, "") for name in service.FILTER_NAMES}
    events, next_cursor, error = [], None, None
    try:
        filters = service.parse_filters(given)
        events, next_cursor = service.list_events(
            filters, cursor=request.args.get("cursor") or None, limit=PAGE_SIZE
        )
    except ValidationFailed as exc:
        error, filters = exc.message, service.AuditFilter()
    params = filters.params
    return render_template(
        "admin/audit_log.html",
        admin_section="audit",
        given=given,
        events=events,
        error=error,
        filtered=bool(params),
        paged=bool(request.args.get("cursor")),
        older_url=url_for("console.admin_audit_log", **params, cursor=next_cursor)
        if next_cursor
        else None,
        newest_url=url_for("console.admin_audit_log", **params),
        export_urls={
            fmt: url_for("console.admin_audit_export", **params, format=fmt)
            for fmt in service.EXPORT_FORMATS
        },
        action_prefixes=[p for p in ACTION_PREFIXES if p.endswith(":")],
        known_actions=service.known_actions(),
    ), (422 if error else 200)


@bp.get("/admin/audit-log/export")
@requires("system:audit")
def admin_audit_export():
    from ..api.audit_log import export_response

    return export_response(service.parse_filters(request.args), request.args.get("format"))
