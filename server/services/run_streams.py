"""Streams a run's client sends as numbered lines: metric history, console log, system metrics.

Clients that stream (the W&B SDK's ``file_stream``) number every line from 0 and may send a
batch again after a timeout, so each function here takes the number of the batch's first line
and is idempotent: history lines already stored are skipped, console and system-metric lines
replace what was stored under their numbers. Metric rows themselves go through
:func:`.run_history.append_history`, the same call as the REST API's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select

from .. import clock
from ..errors import ValidationFailed
from ..extensions import db
from ..models import Run, RunHistoryRow, RunStreamLine
from ..models.run_stream import RUN_STREAMS
from . import run_history, run_queries, runs

# A batch holds as many lines as its request carries: the SDK bounds a request by bytes, not
# lines, Outpost by MAX_CONTENT_LENGTH; lines are written this many at a time.
WRITE_LINES = 5_000
MAX_LINE_CHARS = 64 * 1024  # longer console lines are cut


def append_history_lines(run: Run, first_line: int, rows: list[dict[str, Any]]) -> int:
    """Store the rows of a history batch whose first row is line ``first_line``; returns how
    many were new. Rows the run already holds (by line number, or by a step not above its
    last step) are skipped. Raises what :func:`.run_history.append_history` raises."""
    _check_batch(first_line, rows)
    stored = run.history_count or 0
    fresh = rows[max(stored - first_line, 0) :]
    if run.last_step is not None:
        fresh = [row for row in fresh if not _at_or_below(row, run.last_step)]
    if fresh:
        # One batch, one transaction: the request's size (the body limit) bounds it.
        run_history.append_history(run, fresh, max_rows=None, max_bytes=None)
    return len(fresh)


def _at_or_below(row: dict[str, Any], step: int) -> bool:
    value = row.get("_step")
    return type(value) is int and value <= step


def _check_batch(first_line: int, lines: list) -> None:
    if type(first_line) is not int or not 0 <= first_line < 2**31 - len(lines):
        raise ValidationFailed(
            "A batch starts at a line number >= 0 and its lines are numbered below 2**31.",
            code="invalid_batch",
        )


def replace_summary(run: Run, summary: dict[str, Any]) -> Run:
    """Replace the run's summary as a whole (the client sends the complete document)."""
    runs.check_json_size("summary", summary)
    run.summary = summary
    db.session.commit()
    return run


def put_lines(run: Run, stream: str, first_line: int, lines: list[str]) -> None:
    """Store console (``console``) or system-metric (``system``) lines numbered from
    ``first_line``; a line sent again replaces the stored one."""
    if stream not in RUN_STREAMS:
        raise ValueError(f"unknown stream {stream!r}")
    _check_batch(first_line, lines)
    if not lines:
        return
    numbers = range(first_line, first_line + len(lines))
    db.session.execute(
        delete(RunStreamLine).where(
            RunStreamLine.run_pk == run.id,
            RunStreamLine.stream == stream,
            RunStreamLine.line.between(numbers.start, numbers.stop - 1),
        )
    )
    now = clock.now()
    for start in range(0, len(lines), WRITE_LINES):  # bounded parameter lists, one transaction
        db.session.execute(
            insert(RunStreamLine),
            [
                {
                    "run_pk": run.id,
                    "stream": stream,
                    "line": number,
                    "content": text[:MAX_LINE_CHARS].replace("\x00", ""),
                    "created_at": now,
                }
                for number, text in zip(
                    numbers[start : start + WRITE_LINES],
                    lines[start : start + WRITE_LINES],
                    strict=True,
                )
            ],
        )
    db.session.commit()


def lines_query(run: Run, stream: str, *, min_line: int | None = None):
    stmt = select(RunStreamLine).where(
        RunStreamLine.run_pk == run.id, RunStreamLine.stream == stream
    )
    if min_line is not None:
        stmt = stmt.where(RunStreamLine.line >= min_line)
    return stmt


def line_count(run: Run, stream: str) -> int:
    """One past the highest line number stored (where a resumed client continues)."""
    top = db.session.scalar(
        select(RunStreamLine.line)
        .where(RunStreamLine.run_pk == run.id, RunStreamLine.stream == stream)
        .order_by(RunStreamLine.line.desc())
        .limit(1)
    )
    return 0 if top is None else top + 1


def resume_run(run: Run) -> Run:
    """A client resumes an ended run: it is running again (history continues after its last
    step). A running run is left as it is."""
    if run.state == "running":
        return run
    previous = run.state
    run.state, run.exit_code, run.finished_at, run.stop_requested = "running", None, None, False
    runs.audit_run("run:resume", run, previous_state=previous)
    db.session.commit()
    return run


def history_rows(
    run: Run, *, min_step: int | None = None, max_step: int | None = None, limit: int = 500
) -> list[tuple[int, dict[str, Any]]]:
    """``(step, metrics)`` in step order, ``min_step <= step < max_step``, at most ``limit``."""
    stmt = run_queries.history_query(run, min_step=min_step)
    if max_step is not None:
        stmt = stmt.where(RunHistoryRow.step < max_step)
    stmt = stmt.order_by(RunHistoryRow.step).limit(max(0, min(limit, 10_000)))
    return [(row.step, row.data) for row in db.session.scalars(stmt)]


def history_keys(run: Run) -> list[str]:
    """Metric names seen in the run's history (from its summary and its newest row)."""
    last = history_rows(run, min_step=run.last_step, limit=1) if run.last_step is not None else []
    keys = set(run.summary or {}) | {k for _, data in last for k in data}
    return sorted(keys | ({"_step"} if run.history_count else set()))


def count_runs(project) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Run).where(Run.project_id == project.id)
    )
