"""A run's metric history: appending a batch of rows (``_step`` increasing) to a running run,
its summary and the downsampled rollups the console's charts read.

A batch is written over the run's row as the request read it (same ``updated_at`` and history
count); when another request changed it meanwhile, the row is re-read under a lock and the
batch checked again (:func:`.runs.lock_run`, :func:`.runs.save_run`).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from sqlalchemy import JSON, Text, bindparam, cast, insert, select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import Run, RunHistoryRow
from . import metric_rollups
from .locking import commit_keeping_loaded
from .runs import check_json_size, lock_run, save_run

MAX_HISTORY_ROWS = 1000  # rows per request
MAX_HISTORY_BYTES = 4 * 1024 * 1024  # one request's rows, serialised
MAX_STEP = 2**63 - 1
INSERT_ROWS = 5000  # rows per INSERT: bounded parameter lists, one transaction


def _steps(rows: list[dict[str, Any]]) -> list[int]:
    steps = []
    for index, row in enumerate(rows):
        step = row.get("_step")
        if type(step) is not int or not 0 <= step <= MAX_STEP:
            raise ValidationFailed(
                "Every history row needs '_step', a whole number >= 0.",
                code="invalid_step",
                errors=[{"field": f"rows.{index}._step", "message": "a whole number >= 0"}],
            )
        if steps and step <= steps[-1]:
            raise ValidationFailed(
                "Steps must increase within a batch.",
                code="step_not_increasing",
                errors=[{"field": f"rows.{index}._step", "message": "not above the previous"}],
            )
        steps.append(step)
    return steps


def append_history(
    run: Run,
    rows: list[dict[str, Any]],
    *,
    max_rows: int | None = MAX_HISTORY_ROWS,
    max_bytes: int | None = MAX_HISTORY_BYTES,
) -> dict[str, Any]:
    """Append metric rows (each with a ``_step`` above every stored step) to a running run.

    The summary takes each metric's latest value. Returns what the client needs next:
    rows accepted, the last step, and whether a stop was requested. Raises ValidationFailed
    for a bad batch or one over ``max_rows`` rows or ``max_bytes`` serialised (None: no
    limit, for a caller whose request size already bounds it), Conflict
    (``step_not_increasing`` with ``last_step``, or ``run_not_running``); a refused batch
    stores nothing. The batch is one transaction however many rows it holds.
    """
    if not rows or (max_rows is not None and len(rows) > max_rows):
        raise ValidationFailed(
            f"Send 1 to {max_rows} rows per request.", code="history_batch_too_large"
        )
    # Each row is serialised once, for the size check and for the insert.
    texts = [_encode(_metrics(row)) for row in rows]
    if max_bytes is not None and sum(map(len, texts)) > max_bytes:
        raise ValidationFailed(
            f"history_batch is larger than {max_bytes // 1024} KiB.",
            code="history_batch_too_large",
        )
    steps = _steps(rows)
    # Written only over the row as read, else re-read under a row lock: concurrent batches
    # see each other's last step and summary keys.
    for locked in (False, True):
        if locked:
            lock_run(run)
        previous_last = run.last_step
        if save_run(run, _after_batch(run, steps, rows), locked=locked):
            break
    arrived = clock.now()
    insert_rows = _insert_statement()
    for start in range(0, len(rows), INSERT_ROWS):
        db.session.execute(
            insert_rows,
            [
                {"run_pk": run.id, "step": step, "data_json": text, "created_at": arrived}
                for step, text in zip(
                    steps[start : start + INSERT_ROWS],
                    texts[start : start + INSERT_ROWS],
                    strict=True,
                )
            ],
        )
    _roll_up(run, previous_last, steps, rows, arrived)
    try:
        commit_keeping_loaded()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "Another batch stored these steps first.", code="step_not_increasing"
        ) from None
    return {"accepted": len(rows), "last_step": steps[-1], "stop_requested": run.stop_requested}


def _encode(metrics: dict[str, Any]) -> str:
    try:
        return orjson.dumps(metrics).decode()
    except TypeError:  # an integer beyond 64 bits
        return json.dumps(metrics, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _insert_statement():
    """INSERT of history rows whose ``data`` is already serialised (``data_json``): a Core
    statement on the table, without the ORM's per-row bookkeeping."""
    text = bindparam("data_json", type_=Text)
    # PostgreSQL types the parameter as text; the column is json.
    data = cast(text, JSON) if db.engine.dialect.name == "postgresql" else text
    return insert(RunHistoryRow.__table__).values(data=data)


def _after_batch(run: Run, steps: list[int], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's summary, last step and history count once the batch is stored; Conflict
    when the run ended or the batch does not start above the stored steps."""
    if run.state != "running":
        raise Conflict(f"The run already ended as {run.state}.", code="run_not_running")
    if run.last_step is not None and steps[0] <= run.last_step:
        raise Conflict(
            f"Step {steps[0]} is not above the last stored step {run.last_step}.",
            code="step_not_increasing",
            last_step=run.last_step,
        )
    latest: dict[str, Any] = {}
    for row in rows:
        latest.update(row)
    summary = {**(run.summary or {}), **{k: v for k, v in latest.items() if k[:1] != "_"}}
    check_json_size("summary", summary)
    return {
        "summary": summary,
        "last_step": steps[-1],
        "history_count": (run.history_count or 0) + len(rows),
    }


def _roll_up(run: Run, previous_last, steps, rows, arrived) -> None:
    """Fold the batch into the downsampled history the console's charts read."""
    first = steps[0] if previous_last is None else _first_step(run)
    metric_rollups.add_rows(
        run.id,
        first,
        previous_last,
        [
            (step, row, metric_rollups.row_time(row, arrived))
            for step, row in zip(steps, rows, strict=True)
        ],
    )


def _first_step(run: Run) -> int:
    return db.session.scalar(
        select(RunHistoryRow.step)
        .where(RunHistoryRow.run_pk == run.id)
        .order_by(RunHistoryRow.step)
        .limit(1)
    )


def _metrics(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "_step"}
