"""Downsampled metric history: per run, metric and level, the min/max/mean of the values
logged in each bucket of ``8**level`` steps.

Charts read a bounded number of these rows (at most 500 per series) instead of the
run's history, so a run with a million steps draws as fast as one with a thousand. They are
written with the history (``services.metric_rollups``); only the few levels a chart of the
whole run can use are kept.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class RunMetricBucket(db.Model):
    __tablename__ = "run_metric_buckets"

    # Key order serves the reads: one run, one level, a few metrics, buckets in order.
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # step // 8**level
    count: Mapped[int] = mapped_column(Integer)
    step_min: Mapped[int] = mapped_column(BigInteger)
    step_max: Mapped[int] = mapped_column(BigInteger)
    vmin: Mapped[float] = mapped_column(Float)
    vmax: Mapped[float] = mapped_column(Float)
    vsum: Mapped[float] = mapped_column(Float)
    # Wall-clock seconds (the row's ``_timestamp``, else when it arrived).
    t_min: Mapped[float] = mapped_column(Float)
    t_max: Mapped[float] = mapped_column(Float)
