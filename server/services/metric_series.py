"""Metric series for charts, with a bounded number of points whatever the run's length.

A run with at most :data:`RAW_LIMIT` history rows is drawn from its rows, exactly. A longer
one is drawn from its downsampled buckets (:mod:`metric_rollups`): at most ``MAX_BUCKETS``
points per series, each with the mean and the min/max envelope of the steps it covers. Either
way a chart costs a few indexed queries that read at most 500 rows per series.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import Run, RunHistoryRow, RunMetricBucket
from . import metric_rollups

RAW_LIMIT = 500
B = RunMetricBucket


@dataclass
class Point:
    step: float
    time: float  # wall-clock seconds
    mean: float
    low: float
    high: float


@dataclass
class Series:
    key: str
    points: list[Point] = field(default_factory=list)
    downsampled: bool = False


@dataclass
class RunMetrics:
    keys: list[str]  # every numeric metric the run logged, sorted
    series: dict[str, Series]  # those asked for


def _raw(run: Run, wanted: set[str] | None) -> RunMetrics:
    rows = db.session.execute(
        select(RunHistoryRow.step, RunHistoryRow.data, RunHistoryRow.created_at)
        .where(RunHistoryRow.run_pk == run.id)
        .order_by(RunHistoryRow.step)
        .limit(RAW_LIMIT)
    ).all()
    keys: set[str] = set()
    series: dict[str, Series] = {}
    for step, data, arrived in rows:
        data = data or {}
        t = metric_rollups.row_time(data, arrived)
        for key, raw in data.items():
            value = metric_rollups.numeric(raw)
            if value is None or key.startswith("_"):
                continue
            keys.add(key)
            if wanted is None or key in wanted:
                series.setdefault(key, Series(key)).points.append(
                    Point(step, t, value, value, value)
                )
    return RunMetrics(sorted(keys), series)


def _first_step(run: Run) -> int | None:
    return db.session.scalar(
        select(RunHistoryRow.step)
        .where(RunHistoryRow.run_pk == run.id)
        .order_by(RunHistoryRow.step)
        .limit(1)
    )


def _ensure_buckets(run: Run) -> None:
    """History logged before buckets existed: build them once, on first view."""
    present = db.session.scalar(select(B.run_pk).where(B.run_pk == run.id).limit(1))
    if present is None:
        metric_rollups.rebuild(run.id)
        db.session.commit()


def _bucketed(run: Run, wanted: list[str] | None, pick) -> RunMetrics:
    _ensure_buckets(run)
    first = _first_step(run)
    if first is None:
        return RunMetrics([], {})
    levels = metric_rollups.kept_levels(
        first, run.last_step if run.last_step is not None else first
    )
    keys = db.session.scalars(
        select(B.key)
        .distinct()
        .where(B.run_pk == run.id, B.level == levels.stop - 1)
        .order_by(B.key)
    ).all()
    chosen = list(keys) if wanted is None else [k for k in keys if k in set(wanted)]
    if pick is not None:
        chosen = list(pick(chosen))
    series = {key: Series(key, downsampled=True) for key in chosen}
    if chosen:
        rows = db.session.execute(
            select(B.key, B.step_min, B.step_max, B.t_min, B.t_max, B.vsum, B.count, B.vmin, B.vmax)
            .where(B.run_pk == run.id, B.level == levels.start, B.key.in_(chosen))
            .order_by(B.key, B.bucket)
        ).all()
        for key, s0, s1, t0, t1, total, count, low, high in rows:
            series[key].points.append(Point((s0 + s1) / 2, (t0 + t1) / 2, total / count, low, high))
    return RunMetrics(list(keys), series)


def run_metrics(run: Run, wanted: list[str] | None = None, pick=None) -> RunMetrics:
    """The run's metric names and the series of ``wanted`` ones (all when None), or of those
    ``pick(names)`` returns from the sorted names (a page of charts)."""
    if (run.history_count or 0) <= RAW_LIMIT:
        found = _raw(run, set(wanted) if wanted is not None else None)
        if pick is not None:
            keep = set(pick(found.keys))
            found.series = {k: v for k, v in found.series.items() if k in keep}
        return found
    return _bucketed(run, wanted, pick)


def compare_series(runs: list[Run], key: str) -> list[tuple[Run, Series]]:
    """Metric ``key`` of each run (runs that never logged it get an empty series)."""
    return [(run, run_metrics(run, [key]).series.get(key, Series(key))) for run in runs]


def max_points_per_series() -> int:
    return max(RAW_LIMIT, metric_rollups.MAX_BUCKETS)
