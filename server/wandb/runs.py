"""Projects (W&B ``project``/``model``) and runs (``bucket``/``run``): create or update a run
(``upsertBucket``), declare its files (``createRunFiles``), and read them back (public API)."""

from __future__ import annotations

import json
from typing import Any

from ..auth import can
from ..errors import NotFound
from ..models import Project, Run
from ..services import run_files, run_queries, run_source, run_streams
from ..services import runs as run_service
from ..services.pagination import encode_cursor, paginate
from . import locate
from .shapes import dumps, gid, iso, load_json, unwrap_config, user_summary, wrap_config

MAX_PAGE = 1000
_TEXT_LIMITS = {"name": 128, "notes": 4000, "group": 128, "job_type": 64}


def _text(value: Any, field: str) -> str | None:
    return None if value is None else str(value)[: _TEXT_LIMITS[field]]


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    """Outpost's run fields from an ``upsertBucket`` input (only what was sent)."""
    changes = {
        "name": _text(data.get("displayName"), "name"),
        "notes": _text(data.get("notes") or data.get("description"), "notes"),
        "group": _text(data.get("groupName"), "group"),
        "job_type": _text(data.get("jobType"), "job_type"),
        "tags": [str(t)[:64] for t in data["tags"]] if data.get("tags") is not None else None,
    }
    if data.get("config") is not None:
        changes["config"] = unwrap_config(data["config"])
    # git's remote and commit (the SDK sends "repo" as jobRepo); odd values are left out.
    changes.update(run_source.lenient_columns(data.get("jobRepo"), data.get("commit")))
    return {key: value for key, value in changes.items() if value is not None}


def upsert_bucket(input: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
    data = input or {}
    project = locate.project_to_log(data.get("entityName"), data.get("modelName"))
    run_id = data.get("name")
    run, inserted = None, False
    if run_id:
        try:
            run = run_queries.load_run(project, run_id)
        except NotFound:
            run = None
    changes = _changes(data)
    if run is None:
        username, email = locate.attribution()
        spec = run_service.RunSpec(run_id=run_id, username=username, user_email=email, **changes)
        run, _warnings = run_service.create_run(locate.principal(), project, spec)
        inserted = True
    else:
        locate.may_log(run)
        run_streams.resume_run(run)
        if changes:
            run = run_service.update_run(run, changes)
    if data.get("summaryMetrics") is not None:
        summary = user_summary(load_json(data["summaryMetrics"], "summaryMetrics") or {})
        run_streams.replace_summary(run, {**(run.summary or {}), **summary})
    return {"bucket": run_node(run), "inserted": inserted}


def create_run_files(input: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
    data = input or {}
    run = locate.run_named(
        data.get("entityName"), data.get("projectName"), str(data.get("runName")), "run:log"
    )
    names = [str(name) for name in data.get("files") or []]
    declared = run_files.declare_files(run, names)
    headers = declared[0][1]["headers"] if declared else {}
    return {
        "runID": gid("Run", run.id),
        "uploadHeaders": [f"{name}:{value}" for name, value in headers.items()],
        "files": [
            {"name": record.path, "uploadUrl": upload["url"], "uploadHeaders": []}
            for record, upload in declared
        ],
    }


# --- reading -------------------------------------------------------------------------------


def resolve_project(name: str | None = None, entityName: str | None = None, **_: Any):
    try:
        return project_node(locate.project_named(entityName, name))
    except NotFound:
        return None


def project_node(project: Project) -> dict[str, Any]:
    from .artifacts import project_artifact_fields

    team = project.team
    return {
        "__typename": "Project",
        "id": gid("Project", project.id),
        "internalId": str(project.id),
        "name": project.name,
        "entityName": team.slug,
        "entity": {"__typename": "Entity", "id": gid("Entity", team.id), "name": team.slug},
        "readOnly": not can(locate.principal(), "run:log", project),
        "createdAt": iso(project.created_at),
        "runCount": lambda **_: run_streams.count_runs(project),
        "runs": lambda after=None, first=50, filters=None, order=None, **_: _runs_page(
            project, after, first, filters, order
        ),
        "run": lambda name=None, **_: _run_or_none(project, name),
        "bucket": lambda name=None, **_: _run_or_none(project, name),
        **project_artifact_fields(project),
    }


def _run_or_none(project: Project, run_id: str | None):
    try:
        run = run_queries.load_run(project, str(run_id))
    except NotFound:
        return None
    if not can(locate.principal(), "run:view", run):
        return None
    return run_node(run)


def _filters(raw: Any) -> dict[str, str]:
    """The W&B run filters Outpost answers: ``{"state": ...}`` and ``{"group": ...}`` (also
    inside ``$and``); others are ignored (every run matches them)."""
    filters = load_json(raw, "filters") if raw else {}
    found: dict[str, str] = {}
    parts = filters.get("$and", []) + [filters] if isinstance(filters, dict) else []
    for part in parts:
        if isinstance(part, dict):
            for key in ("state", "group"):
                if isinstance(part.get(key), str):
                    found[key] = part[key]
    return found


def _runs_page(project: Project, after, first, filters=None, order=None) -> dict[str, Any]:
    limit = max(1, min(int(first or 50), MAX_PAGE))
    stmt = run_queries.runs_query(project, **_filters(filters))
    newest_first = str(order or "").startswith("-")
    page = paginate(stmt, Run.id, cursor=after, limit=limit, descending=newest_first)
    run_queries.attach_project(page.items, project)
    edges = [{"node": run_node(run), "cursor": encode_cursor(run.id)} for run in page.items]
    end = edges[-1]["cursor"] if edges else after
    return connection(edges, end, page.next_cursor is not None)


def connection(edges: list[dict[str, Any]], end: str | None, more: bool) -> dict[str, Any]:
    return {
        "edges": edges,
        "pageInfo": {"__typename": "PageInfo", "endCursor": end, "hasNextPage": more},
    }


def _user(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "__typename": "User",
        "name": user.display_name or user.username,
        "username": user.username,
        "email": user.email,
    }


def run_node(run: Run) -> dict[str, Any]:
    project = run.project
    return {
        "__typename": "Run",
        "id": gid("Run", run.id),
        "name": run.run_id,
        "displayName": run.name,
        "description": run.notes or None,
        "notes": run.notes or None,
        "state": run.state,
        "group": run.group or None,
        "jobType": run.job_type or None,
        "tags": run.tags or [],
        "commit": run.git_commit,
        "readOnly": False,
        "sweepName": run.sweep.sweep_id if run.sweep is not None else None,
        "createdAt": iso(run.created_at),
        "heartbeatAt": iso(run.updated_at),
        "updatedAt": iso(run.updated_at),
        "projectId": project.id,
        "project": project_node(project),
        "user": _user(run.created_by),
        "config": wrap_config(run.config),
        "summaryMetrics": dumps(_summary(run)),
        "systemMetrics": "{}",
        "historyLineCount": run.history_count or 0,
        "logLineCount": lambda **_: run_streams.line_count(run, "console"),
        "eventsLineCount": lambda **_: run_streams.line_count(run, "system"),
        "historyTail": lambda **_: _history_tail(run),
        "eventsTail": "[]",
        # Clients read a run as initialised when its SDK settings carry "t" (telemetry); a
        # run Outpost holds always is.
        "wandbConfig": lambda **_: json.dumps({"t": {}}),
        "historyKeys": lambda **_: _history_keys(run),
        "history": lambda samples=500, minStep=None, maxStep=None, **_: _history(
            run, samples, minStep, maxStep
        ),
        "parquetHistory": None,
        "fileCount": lambda **_: None,
        "files": lambda names=None, after=None, first=50, **_: files_page(run, names, after, first),
        "exitcode": run.exit_code,
        "stopped": run.stop_requested,
    }


def _summary(run: Run) -> dict[str, Any]:
    extra = {"_step": run.last_step} if run.last_step is not None else {}
    return {**(run.summary or {}), **extra}


def _row_json(step: int, data: dict[str, Any]) -> str:
    return json.dumps({"_step": step, **data})


def _history(run: Run, samples, min_step, max_step) -> list[str]:
    rows = run_streams.history_rows(
        run,
        min_step=None if min_step is None else int(min_step),
        max_step=None if max_step is None else int(max_step),
        limit=int(samples or 500),
    )
    return [_row_json(step, data) for step, data in rows]


def _history_tail(run: Run) -> str:
    if run.last_step is None:
        return "[]"
    rows = run_streams.history_rows(run, min_step=run.last_step, limit=1)
    return json.dumps([_row_json(step, data) for step, data in rows])


def _history_keys(run: Run) -> dict[str, Any]:
    keys = run_streams.history_keys(run)
    return {"keys": {key: {} for key in keys}, "lastStep": run.last_step}


def files_page(run: Run, names, after, first) -> dict[str, Any]:
    limit = max(1, min(int(first or 50), MAX_PAGE))
    wanted = [str(n) for n in names] if names else None
    page = paginate(run_files.files_query(run, wanted), _file_id(), cursor=after, limit=limit)
    edges = [
        {"node": _file_node(run, record), "cursor": encode_cursor(record.id)}
        for record in page.items
    ]
    end = edges[-1]["cursor"] if edges else after
    return connection(edges, end, page.next_cursor is not None)


def _file_id():
    from ..models import RunFile

    return RunFile.id


def _file_node(run: Run, record) -> dict[str, Any]:
    url = lambda **_: run_files.download(run, record)["url"]  # noqa: E731
    return {
        "__typename": "File",
        "id": gid("File", record.id),
        "name": record.path,
        "sizeBytes": record.size or 0,
        "mimetype": "application/octet-stream",
        "updatedAt": iso(record.updated_at),
        "md5": None,
        "url": url,
        "directUrl": url,
    }


QUERIES = {"project": resolve_project, "model": resolve_project}
MUTATIONS = {"upsertBucket": upsert_bucket, "createRunFiles": create_run_files}
