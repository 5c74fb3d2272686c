"""``POST /files/<entity>/<project>/<run>/file_stream``: the SDK's periodic stream of a run.

Each request carries, per file, the number of its first line (``offset``) and the lines:
``wandb-history.jsonl`` (metric rows), ``wandb-summary.json`` (the whole summary, always line
0), ``output.log`` (console) and ``wandb-events.jsonl`` (system metrics); ``uploaded`` names
run files now in the bucket; the last request has ``complete`` and ``exitcode`` and finishes
the run through the same service call as the REST API's finish.
"""

from __future__ import annotations

from typing import Any

from flask import request

from ..auth import requires
from ..errors import BadRequest, ValidationFailed
from ..models import Run
from ..services import run_files, run_source, run_streams
from ..services import runs as run_service
from . import locate
from .shapes import load_json, user_summary

HISTORY, SUMMARY = "wandb-history.jsonl", "wandb-summary.json"
STREAMS = {"output.log": "console", "wandb-events.jsonl": "system"}


def load_run(entity: str, project: str, run: str) -> Run:
    return locate.run_named(entity, project, run, "run:log")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Send a JSON object.", code="malformed_json")
    files = body.get("files") or {}
    if not isinstance(files, dict):
        raise BadRequest("'files' must be an object.", code="malformed_json")
    return body


def _chunk(files: dict[str, Any], name: str) -> tuple[int, list[str]] | None:
    chunk = files.get(name)
    if chunk is None:
        return None
    content = chunk.get("content") if isinstance(chunk, dict) else None
    offset = chunk.get("offset", 0) if isinstance(chunk, dict) else None
    if not isinstance(content, list) or not all(isinstance(line, str) for line in content):
        raise ValidationFailed(
            f"{name}: 'content' must be a list of strings.", code="invalid_batch"
        )
    return offset, content


def _rows(lines: list[str]) -> list[dict[str, Any]]:
    rows = [load_json(line, "a history row") for line in lines]
    if not all(isinstance(row, dict) for row in rows):
        raise ValidationFailed("History rows must be JSON objects.", code="invalid_batch")
    return rows


@requires("run:log", resource=load_run)
def file_stream(entity: str, project: str, run: str, resource: Run):
    body = _body()
    files = body.get("files") or {}
    target = resource
    history = _chunk(files, HISTORY)
    if history:
        run_streams.append_history_lines(target, history[0], _rows(history[1]))
    summary = _chunk(files, SUMMARY)
    if summary and summary[1]:
        run_streams.replace_summary(target, user_summary(load_json(summary[1][-1], "summary")))
    for name, stream in STREAMS.items():
        chunk = _chunk(files, name)
        if chunk:
            run_streams.put_lines(target, stream, chunk[0], chunk[1])
    uploaded = body.get("uploaded")
    if isinstance(uploaded, list) and uploaded:
        run_files.record_uploaded(target, [str(path) for path in uploaded])
        if run_source.WANDB_METADATA in uploaded:
            run_source.note_wandb_metadata(target)
    if body.get("complete"):
        _finish(target, body.get("exitcode"))
    return {"exitcode": None, "limits": {}}


def _finish(run: Run, exitcode: Any) -> None:
    code = exitcode if type(exitcode) is int and -(2**31) <= exitcode < 2**31 else None
    state = "finished" if code == 0 else "crashed"
    run_service.update_run(run, {"state": state, "exit_code": code})
