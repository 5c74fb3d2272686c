"""A run's console log and system metrics (``.../runs/{run_id}/console`` and
``.../system-metrics``), as logged by the W&B SDK; read-only over REST."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from ..models import Run, RunStreamLine
from ..services import run_streams
from . import api
from .pagination import PageQuery, page_response, paginate
from .routing import endpoint
from .runs import RUN, load_run


class LinesQuery(PageQuery):
    limit: int = Field(default=500, ge=1, le=1000, description="Lines per page (1-1000).")
    min_line: int | None = Field(default=None, ge=0, lt=2**31, description="First line to return.")


def _page(run: Run, stream: str, query: LinesQuery):
    stmt = run_streams.lines_query(run, stream, min_line=query.min_line)
    return paginate(stmt, RunStreamLine.line, cursor=query.cursor, limit=query.limit)


@endpoint(
    api,
    RUN + "/console",
    "GET",
    permission="run:view",
    resource=load_run,
    query=LinesQuery,
    summary="The run's console output (stdout and stderr), line by line",
)
def get_console(team: str, project: str, run_id: str, resource: Run, query: LinesQuery):
    return page_response(
        _page(resource, "console", query), lambda row: {"line": row.line, "text": row.content}
    )


def _metrics(row: RunStreamLine) -> dict[str, Any]:
    try:
        metrics = json.loads(row.content)
    except ValueError:
        metrics = None
    return {"line": row.line, "metrics": metrics if isinstance(metrics, dict) else {}}


@endpoint(
    api,
    RUN + "/system-metrics",
    "GET",
    permission="run:view",
    resource=load_run,
    query=LinesQuery,
    summary="The run's system metrics (CPU, memory, GPU ...), one sample per line",
)
def get_system_metrics(team: str, project: str, run_id: str, resource: Run, query: LinesQuery):
    return page_response(_page(resource, "system", query), _metrics)
