"""A run's line streams besides metric history: its console log and its system metrics.

A client sends each stream as numbered lines (line 0, 1, ...); a line may be sent again, for
example when a progress bar rewrites it, and then replaces what was stored under its number.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

RUN_STREAMS = ("console", "system")  # output.log, wandb-events.jsonl


class RunStreamLine(db.Model):
    __tablename__ = "run_stream_lines"
    __table_args__ = (
        UniqueConstraint("run_pk", "stream", "line", name="uq_run_stream_lines_run_stream_line"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(16))
    line: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
