"""Keep the downsampled metric history (:class:`RunMetricBucket`) in step with the history.

Level ``L`` groups steps into buckets of ``8**L`` (bucket = step >> 3L). A chart of the whole
run uses the finest level with at most :data:`MAX_BUCKETS` buckets over the run's steps, so
only the levels from that one up to the first with at most half as many are kept: finer
levels are dropped once the run outgrows them (steps only grow), and a coarser level is
built from the coarsest kept one when the run reaches it. A batch of history therefore
touches two or three levels per metric, and a series never has more than ``MAX_BUCKETS``
points however many steps the run logged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import RunHistoryRow, RunMetricBucket

MAX_BUCKETS = 500  # points per series: plenty for a chart a few hundred pixels wide
FANOUT_BITS = 3  # 8 buckets of a level make one of the next
MAX_LEVEL = 21  # 8**21 > 2**63: every step fits in one bucket
KEY_LIMIT = 255
REBUILT = "_rebuilt"  # key of the level-0 marker row written by :func:`rebuild`

B = RunMetricBucket


def span_buckets(level: int, first: int, last: int) -> int:
    shift = FANOUT_BITS * level
    return (last >> shift) - (first >> shift) + 1


def chart_level(first: int, last: int) -> int:
    """The finest level that draws steps ``first``..``last`` in at most MAX_BUCKETS points."""
    level = 1
    while span_buckets(level, first, last) > MAX_BUCKETS and level < MAX_LEVEL:
        level += 1
    return level


def kept_levels(first: int, last: int) -> range:
    """The levels kept for a run whose steps go from ``first`` to ``last``."""
    low = chart_level(first, last)
    top = low
    while span_buckets(top, first, last) > MAX_BUCKETS // 2 and top < MAX_LEVEL:
        top += 1
    return range(low, top + 1)


def numeric(value: Any) -> float | None:
    """The value as a chartable number: finite floats and ints that fit a float (not bools)."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is int:
        try:
            return float(value)
        except OverflowError:  # an int beyond 1e308 is stored, not drawn
            return None
    return None


def row_time(data: dict[str, Any], arrived: datetime) -> float:
    stamp = numeric(data.get("_timestamp"))
    return stamp if stamp is not None else arrived.timestamp()


def _aggregate(levels: Iterable[int], rows: Iterable[tuple[int, dict, float]]) -> list[dict]:
    """Fold rows into one cell per (level, key, bucket): the rows into the finest level, then
    each coarser level from the cells of the finest (a level's bucket is ``bucket >> 3`` of the
    one below). The hot path of every history batch: plain comparisons and shifts, each key
    judged once."""
    levels = list(levels)
    base = levels[0]
    shift = FANOUT_BITS * base
    charted: dict[str, bool] = {}  # key -> drawn (not internal, not too long)
    finest: dict[tuple[str, int], list] = {}
    for step, data, t in rows:
        bucket = step >> shift
        for key, raw in data.items():
            drawn = charted.get(key)
            if drawn is None:
                drawn = charted[key] = key[:1] != "_" and len(key) <= KEY_LIMIT
            if not drawn:
                continue
            kind = type(raw)
            if kind is float:
                if raw != raw or raw in _INFINITE:
                    continue
                value = raw
            elif kind is int:
                value = numeric(raw)
                if value is None:
                    continue
            else:
                continue
            slot = (key, bucket)
            cell = finest.get(slot)
            if cell is None:
                finest[slot] = [1, step, step, value, value, value, t, t]
                continue
            cell[0] += 1
            cell[2] = step
            if value < cell[3]:
                cell[3] = value
            elif value > cell[4]:
                cell[4] = value
            cell[5] += value
            if t < cell[6]:
                cell[6] = t
            elif t > cell[7]:
                cell[7] = t
    cells = [(base, key, bucket, cell) for (key, bucket), cell in finest.items()]
    for level in levels[1:]:
        cells += [
            (level, key, bucket, cell) for (key, bucket), cell in _coarsen(finest, level - base)
        ]
    names = ("count", "step_min", "step_max", "vmin", "vmax", "vsum", "t_min", "t_max")
    return [
        {"level": level, "key": key, "bucket": bucket, **dict(zip(names, cell, strict=True))}
        for level, key, bucket, cell in cells
    ]


_INFINITE = (math.inf, -math.inf)


def _coarsen(cells: dict[tuple[str, int], list], up: int) -> Iterable[tuple[tuple, list]]:
    """Merge cells ``up`` levels higher (``8**up`` of them make one)."""
    shift = FANOUT_BITS * up
    merged: dict[tuple[str, int], list] = {}
    for (key, bucket), cell in cells.items():
        slot = (key, bucket >> shift)
        into = merged.get(slot)
        if into is None:
            merged[slot] = list(cell)
            continue
        into[0] += cell[0]
        into[1] = min(into[1], cell[1])
        into[2] = max(into[2], cell[2])
        into[3] = min(into[3], cell[3])
        into[4] = max(into[4], cell[4])
        into[5] += cell[5]
        into[6] = min(into[6], cell[6])
        into[7] = max(into[7], cell[7])
    return merged.items()


def _merge(run_pk: int, cells: list[dict]) -> None:
    """Insert the cells, merging each into the stored bucket it falls in."""
    if not cells:
        return
    dialect = db.engine.dialect.name
    # The table, not the mapped class: a Core executemany skips the ORM's per-row bookkeeping.
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(B.__table__)
    new = stmt.excluded

    def lower(a, b):
        return case((b < a, b), else_=a)

    def higher(a, b):
        return case((b > a, b), else_=a)

    stmt = stmt.on_conflict_do_update(
        index_elements=[B.run_pk, B.level, B.key, B.bucket],
        set_={
            "count": B.count + new.count,
            "step_min": lower(B.step_min, new.step_min),
            "step_max": higher(B.step_max, new.step_max),
            "vmin": lower(B.vmin, new.vmin),
            "vmax": higher(B.vmax, new.vmax),
            "vsum": B.vsum + new.vsum,
            "t_min": lower(B.t_min, new.t_min),
            "t_max": higher(B.t_max, new.t_max),
        },
    )
    db.session.execute(stmt, [{"run_pk": run_pk, **cell} for cell in cells])


def _build_level(run_pk: int, level: int, source: int) -> None:
    """Make ``level`` from the coarser-than-``source`` grouping of level ``source``."""
    factor = 8 ** (level - source)
    bucket = (B.bucket // factor).label("bucket")
    db.session.execute(
        insert(B).from_select(
            list(B.__table__.columns.keys()),
            select(
                B.run_pk,
                literal(level).label("level"),
                B.key,
                bucket,
                func.sum(B.count),
                func.min(B.step_min),
                func.max(B.step_max),
                func.min(B.vmin),
                func.max(B.vmax),
                func.sum(B.vsum),
                func.min(B.t_min),
                func.max(B.t_max),
            )
            .where(B.run_pk == run_pk, B.level == source)
            .group_by(B.run_pk, B.key, bucket),
        )
    )


def add_rows(
    run_pk: int,
    first_step: int,
    previous_last: int | None,
    rows: Sequence[tuple[int, dict[str, Any], float]],
) -> None:
    """Fold a batch of history ``(step, metrics, time)`` into the run's buckets, in the
    caller's transaction. ``previous_last`` is the run's last step before the batch (None for
    its first batch); steps in ``rows`` are above it."""
    last = rows[-1][0]
    levels = kept_levels(first_step, last)
    if previous_last is not None:
        before = kept_levels(first_step, previous_last)
        for level in range(before.stop, levels.stop):
            _build_level(run_pk, level, before.stop - 1)
        if levels.start > before.start:
            db.session.execute(
                delete(B).where(B.run_pk == run_pk, B.level > 0, B.level < levels.start)
            )
    _merge(run_pk, _aggregate(levels, rows))


def rebuild(run_pk: int, batch: int = 5000) -> None:
    """Recompute a run's buckets from its whole history (history logged before this table
    existed), streaming it in batches. The caller commits."""
    db.session.execute(delete(B).where(B.run_pk == run_pk))
    bounds = db.session.execute(
        select(func.min(RunHistoryRow.step), func.max(RunHistoryRow.step)).where(
            RunHistoryRow.run_pk == run_pk
        )
    ).one()
    if bounds[0] is None:
        return
    # Level 0 is never drawn: this row only says the run's buckets were built, so a run
    # whose history holds no numbers is not scanned again at every view.
    db.session.add(
        B(run_pk=run_pk, level=0, key=REBUILT, bucket=0, count=0, step_min=bounds[0],
          step_max=bounds[1], vmin=0.0, vmax=0.0, vsum=0.0, t_min=0.0, t_max=0.0)
    )  # fmt: skip
    levels = kept_levels(bounds[0], bounds[1])
    after = -1
    while True:
        chunk = db.session.execute(
            select(RunHistoryRow.step, RunHistoryRow.data, RunHistoryRow.created_at)
            .where(RunHistoryRow.run_pk == run_pk, RunHistoryRow.step > after)
            .order_by(RunHistoryRow.step)
            .limit(batch)
        ).all()
        if not chunk:
            return
        _merge(
            run_pk, _aggregate(levels, [(s, d or {}, row_time(d or {}, c)) for s, d, c in chunk])
        )
        after = chunk[-1][0]
