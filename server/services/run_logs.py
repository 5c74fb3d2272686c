"""What a run's streamed lines look like to a reader: the console log a page at a time, and the
system metrics (``wandb-events.jsonl``) as bounded chart series.

Both read :class:`RunStreamLine` rows by their indexed ``(run, stream, line)`` key: a page of
the log is one range query, and system metrics read at most :data:`SYSTEM_LINES` of the latest
lines, folded into at most :data:`metric_series.MAX_POINTS`-style buckets per series.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Run, RunStreamLine
from . import metric_rollups
from .metric_series import Point, Series
from .run_streams import line_count

LOG_PAGE_LINES = 200
SYSTEM_LINES = 5_000  # the latest system-metric samples a chart is drawn from
SYSTEM_POINTS = 300  # points per system-metric series
SYSTEM_CHARTS = 16


@dataclass
class LogPage:
    lines: list[tuple[int, str]]  # (line number, text)
    page: int
    pages: int
    total: int


def console_page(run: Run, page: int | None) -> LogPage:
    """One page of the console log (``page`` from 1; None or past the end: the last page)."""
    total = line_count(run, "console")
    pages = max(1, math.ceil(total / LOG_PAGE_LINES))
    page = pages if page is None or page > pages else max(1, page)
    start = (page - 1) * LOG_PAGE_LINES
    rows = db.session.execute(
        select(RunStreamLine.line, RunStreamLine.content)
        .where(
            RunStreamLine.run_pk == run.id,
            RunStreamLine.stream == "console",
            RunStreamLine.line.between(start, start + LOG_PAGE_LINES - 1),
        )
        .order_by(RunStreamLine.line)
    ).all()
    return LogPage([(line, text) for line, text in rows], page, pages, total)


def _samples(run: Run) -> list[dict]:
    rows = db.session.scalars(
        select(RunStreamLine.content)
        .where(RunStreamLine.run_pk == run.id, RunStreamLine.stream == "system")
        .order_by(RunStreamLine.line.desc())
        .limit(SYSTEM_LINES)
    ).all()
    samples = []
    for text in reversed(rows):
        try:
            sample = json.loads(text)
        except ValueError:
            continue
        if isinstance(sample, dict):
            samples.append(sample)
    return samples


def _fold(points: list[Point]) -> Series:
    """At most SYSTEM_POINTS points: consecutive samples folded into mean with min/max."""
    size = max(1, math.ceil(len(points) / SYSTEM_POINTS))
    folded = []
    for start in range(0, len(points), size):
        chunk = points[start : start + size]
        folded.append(
            Point(
                step=chunk[0].step,
                time=chunk[0].time,
                mean=sum(p.mean for p in chunk) / len(chunk),
                low=min(p.low for p in chunk),
                high=max(p.high for p in chunk),
            )
        )
    return Series("", folded, downsampled=size > 1)


def system_series(run: Run) -> tuple[list[str], dict[str, Series]]:
    """Every system metric's name, and series (against seconds since the run started) for the
    first SYSTEM_CHARTS of them, sorted by name."""
    points: dict[str, list[Point]] = {}
    for sample in _samples(run):
        runtime = metric_rollups.numeric(sample.get("_runtime"))
        stamp = metric_rollups.numeric(sample.get("_timestamp"))
        if runtime is None and stamp is None:
            continue
        x = runtime if runtime is not None else stamp
        for key, raw in sample.items():
            value = metric_rollups.numeric(raw)
            if key.startswith("_") or value is None:
                continue
            points.setdefault(key, []).append(Point(x, stamp or x, value, value, value))
    keys = sorted(points)
    series = {}
    for key in keys[:SYSTEM_CHARTS]:
        series[key] = _fold(points[key])
        series[key].key = key
    return keys, series
