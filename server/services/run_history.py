"""A run's metric history: appending a batch of rows (``_step`` increasing) to a running run,
its summary and the downsampled rollups the console's charts read.

A batch is written over the run's row as the request read it (same ``updated_at`` and history
count); when another request changed it meanwhile, the row is re-read under a lock and the
batch checked again (:func:`.runs.lock_run`, :func:`.runs.save_run`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
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


def append_history(run: Run, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Append metric rows (each with a ``_step`` above every stored step) to a running run.

    The summary takes each metric's latest value. Returns what the client needs next:
    rows accepted, the last step, and whether a stop was requested. Raises ValidationFailed
    for a bad or too large batch, Conflict (``step_not_increasing`` with ``last_step``, or
    ``run_not_running``); a refused batch stores nothing.
    """
    if not rows or len(rows) > MAX_HISTORY_ROWS:
        raise ValidationFailed(
            f"Send 1 to {MAX_HISTORY_ROWS} rows per request.", code="history_batch_too_large"
        )
    check_json_size("history_batch", rows, MAX_HISTORY_BYTES)
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
    db.session.execute(
        insert(RunHistoryRow),
        [
            {"run_pk": run.id, "step": step, "data": _metrics(row), "created_at": arrived}
            for step, row in zip(steps, rows, strict=True)
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
    latest = {k: v for row in rows for k, v in row.items() if not k.startswith("_")}
    summary = {**(run.summary or {}), **latest}
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
