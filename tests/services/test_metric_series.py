"""Downsampled metric history: whatever a run logs, a chart reads at most MAX_BUCKETS points
per series, and each point's envelope holds the true minimum and maximum of its steps."""

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import RunMetricBucket
from server.services import metric_rollups, metric_series
from server.services import run_history as run_service
from tests.factories import make_project, make_run, make_team, make_user


@pytest.fixture
def run(app):
    user = make_user("ada", password=None)
    team = make_team("lab", admins=[user])
    project = make_project(team, "mnist")
    run = make_run(project, user, "r1")
    run.project, run.owner = project, user
    return run


def _log(run, steps, value=lambda s: float(s % 97)):
    steps = list(steps)
    for i in range(0, len(steps), 1000):
        rows = [
            {"_step": s, "loss": value(s), "_timestamp": 1000.0 + s} for s in steps[i : i + 1000]
        ]
        run_service.append_history(run, rows)


def _buckets(run):
    return db.session.execute(
        select(RunMetricBucket.level, func.count(), func.sum(RunMetricBucket.count))
        .where(RunMetricBucket.run_pk == run.id)
        .group_by(RunMetricBucket.level)
        .order_by(RunMetricBucket.level)
    ).all()


def test_a_long_run_is_drawn_from_at_most_max_buckets_points(run):
    spike = lambda s: 500.0 if s == 4321 else -3.0 if s == 77 else float(s % 97)  # noqa: E731
    _log(run, range(20_000), spike)
    series = metric_series.run_metrics(run).series["loss"]
    assert series.downsampled and 0 < len(series.points) <= metric_rollups.MAX_BUCKETS
    assert max(p.high for p in series.points) == 500.0
    assert min(p.low for p in series.points) == -3.0
    levels = _buckets(run)
    assert len(levels) <= 2 and all(rows == 20_000 for _, _, rows in levels)


def test_small_batches_and_step_jumps_keep_every_row_counted(run):
    for start in range(0, 3000, 7):  # batches of seven rows
        run_service.append_history(
            run, [{"_step": s, "loss": 1.0} for s in range(start, min(start + 7, 3000))]
        )
    _log(run, range(10**9, 10**9 + 1500))  # the run jumps far ahead
    for level, buckets, rows in _buckets(run):
        assert rows == 4500 and buckets <= metric_rollups.MAX_BUCKETS, level
    assert len(metric_series.run_metrics(run).series["loss"].points) <= metric_rollups.MAX_BUCKETS


def test_rebuilding_from_history_gives_the_same_buckets(run):
    _log(run, range(0, 12_000, 3))
    before = db.session.execute(
        select(RunMetricBucket).where(RunMetricBucket.run_pk == run.id)
    ).scalars()
    snapshot = sorted((b.level, b.key, b.bucket, b.count, b.vmin, b.vmax, b.vsum) for b in before)
    db.session.expunge_all()
    metric_rollups.rebuild(run.id)
    db.session.commit()
    after = db.session.execute(
        select(RunMetricBucket).where(RunMetricBucket.run_pk == run.id)
    ).scalars()
    rebuilt = sorted((b.level, b.key, b.bucket, b.count, b.vmin, b.vmax, b.vsum) for b in after)
    assert [row for row in rebuilt if row[0] > 0] == snapshot  # level 0: the rebuilt marker


def test_one_large_batch_gives_the_buckets_of_many_small_ones(run):
    """A stream request stores a whole history as one batch, folded from its finest kept
    level upwards: the buckets match those built batch by batch, envelopes and times alike."""
    other = make_run(run.project, run.owner, "r2")

    def row(s):
        values = {"loss": 1 / (s + 1), "acc": s % 7, "note": "text", "_timestamp": 500.0 + s}
        if s % 5 == 0:
            values["sparse"] = -s * 0.25  # a metric logged on some steps only
        if s % 11 == 0:
            values["acc"] = "NaN"  # not a number: stored, never drawn
        return {"_step": s, **values}

    rows = [row(s) for s in range(0, 30_000, 2)]
    run_service.append_history(run, rows, max_rows=None, max_bytes=None)
    for i in range(0, len(rows), 1000):
        run_service.append_history(other, rows[i : i + 1000])

    def cells(r):
        found = db.session.execute(
            select(RunMetricBucket).where(RunMetricBucket.run_pk == r.id)
        ).scalars()
        return {
            (b.level, b.key, b.bucket): (b.count, b.step_min, b.step_max, b.vmin, b.vmax,
                                         pytest.approx(b.vsum), b.t_min, b.t_max)
            for b in found
        }  # fmt: skip

    one, many = cells(run), cells(other)
    assert one == many
    assert {key for _, key, _ in one} == {"loss", "acc", "sparse"}
    assert len({level for level, _, _ in one}) >= 2


def test_a_short_run_is_drawn_exactly(run):
    _log(run, range(10))
    series = metric_series.run_metrics(run).series["loss"]
    assert not series.downsampled and [p.step for p in series.points] == list(range(10))


def test_history_without_numbers_is_scanned_once(run):
    run_service.append_history(
        run, [{"_step": s, "image": {"path": f"{s}.png"}} for s in range(600)]
    )
    db.session.execute(RunMetricBucket.__table__.delete())  # as if logged before buckets
    db.session.commit()
    assert metric_series.run_metrics(run).keys == []
    from tests.factories import count_queries

    with count_queries() as seen:
        assert metric_series.run_metrics(run).keys == []
    assert not any("run_history" in q and "data" in q for q in seen)  # no second scan
