"""Runs: one execution of a training script, with its config, summary, metric history and
files. A run lives in a project; its permissions follow the project's team and visibility,
its ownership follows its creator (``created_by_id``), wherever it is moved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import InProject, UTCDateTime, utcnow
from .project import Project
from .sweep import Sweep
from .user import User

RUN_STATES = ("running", "finished", "crashed", "stopped")


class Run(InProject, db.Model):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("project_id", "run_id", name="uq_runs_project_run_id"),
        # The console's runs table: newest first, or by name, a page at a time.
        Index("ix_runs_project_created", "project_id", "created_at", "id"),
        Index("ix_runs_project_name", "project_id", "name", "id"),
        Index("ix_runs_project_state_created", "project_id", "state", "created_at", "id"),
        # Every list filter is an index range already in page order (the id): a page costs
        # the same at any number of runs. The first also serves the foreign key.
        Index("ix_runs_project_id_id", "project_id", "id"),
        Index("ix_runs_project_state_id", "project_id", "state", "id"),
        Index("ix_runs_project_group_id", "project_id", "group", "id"),
        Index("ix_runs_sweep_id_id", "sweep_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # The client's id for the run (given or generated), unique within the project.
    run_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128), default="")
    notes: Mapped[str] = mapped_column(String(4000), default="")
    group: Mapped[str] = mapped_column(String(128), default="")
    job_type: Mapped[str] = mapped_column(String(64), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="running", index=True)
    # A permitted user asked the run to stop; the client sees it and finishes as "stopped".
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    sweep_id: Mapped[int | None] = mapped_column(ForeignKey("sweeps.id", ondelete="SET NULL"))
    # Ownership: the human (or service account) the run is attributed to ...
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # ... and the principal that actually sent it (a service account, or the creator).
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    history_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the code came from (services.run_source): a remote without credentials (a GitHub
    # one as its https:// web address) and a commit id in lower-case hex.
    git_remote: Mapped[str | None] = mapped_column(String(512))
    git_commit: Mapped[str | None] = mapped_column(String(40))

    project: Mapped[Project] = relationship()
    sweep: Mapped[Sweep | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    logged_by: Mapped[User | None] = relationship(foreign_keys=[logged_by_id])

    def __repr__(self) -> str:
        return f"<Run {self.project_id}/{self.run_id}>"


class RunHistoryRow(db.Model):
    """One row of logged metrics at a ``_step``; steps only grow within a run."""

    __tablename__ = "run_history"
    __table_args__ = (UniqueConstraint("run_pk", "step", name="uq_run_history_run_pk_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RunFile(db.Model):
    """A file a run declared; its bytes live in the team's bucket, reached by signed URLs."""

    __tablename__ = "run_files"
    __table_args__ = (UniqueConstraint("run_pk", "path", name="uq_run_files_run_pk_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_pk: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(512))
    # Null while a file declared without a size (W&B clients) has not been seen uploaded.
    size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
