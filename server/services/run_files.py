"""Run files: declared by the client, carried by pre-signed URLs, never by this server.

Objects live in the team's bucket under ``runs/<run pk>/<path>``: the internal key does not
change when a run moves between projects.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from ..errors import NotFound, OutpostError, ValidationFailed
from ..extensions import db
from ..models import Run, RunFile, Team
from . import files
from .runs import audit_run

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024**3  # one pre-signed PUT (S3's single-request limit)
CHUNK = 1000  # ids per statement


def object_key(run_pk: int, path: str) -> str:
    return f"runs/{run_pk}/{path}"


def declare_file(run: Run, path: str, size: int | None) -> tuple[RunFile, dict[str, Any]]:
    """Record ``path`` (replacing an earlier declaration of it) and return the upload URL.

    ``size`` pins the upload's length; None (W&B clients name files before they know sizes)
    signs a URL for up to the largest upload and leaves the size unknown until
    :func:`record_uploaded` sees the object. Raises ValidationFailed (``invalid_path``,
    ``file_too_large``), or the storage error when the team's bucket cannot sign the URL
    (nothing is recorded then).
    """
    files.check_relative_path(path)
    if size is not None and not 0 <= size <= MAX_FILE_BYTES:
        raise ValidationFailed(
            f"A run file is 0 to {MAX_FILE_BYTES} bytes (one upload request).",
            code="file_too_large",
        )
    upload = files.upload_url(run.project.team, object_key(run.id, path), size=size)
    record = _record(run, path)
    record.size = size
    audit_run("run:upload_file", run, path=path, size=size)
    db.session.commit()
    return record, upload


def declare_files(run: Run, paths: list[str]) -> list[tuple[RunFile, dict[str, Any]]]:
    """Declare several files of unknown size at once (one audit event, one commit)."""
    for path in paths:
        files.check_relative_path(path)
    declared = []
    for path in dict.fromkeys(paths):
        upload = files.upload_url(run.project.team, object_key(run.id, path), size=None)
        record = _record(run, path)
        record.size = None
        declared.append((record, upload))
    audit_run("run:upload_file", run, paths=sorted(set(paths)))
    db.session.commit()
    return declared


def _record(run: Run, path: str) -> RunFile:
    record = db.session.scalar(
        select(RunFile).where(RunFile.run_pk == run.id, RunFile.path == path)
    )
    if record is None:
        record = RunFile(run_pk=run.id, path=path)
        db.session.add(record)
    return record


def record_uploaded(run: Run, paths: list[str]) -> None:
    """The client says these declared files are uploaded: read their sizes from the bucket.
    A path never declared, or whose object is not there, is left as it is."""
    records = db.session.scalars(
        select(RunFile).where(RunFile.run_pk == run.id, RunFile.path.in_(paths[:CHUNK]))
    ).all()
    for record in records:
        info = files.stat(run.project.team, object_key(run.id, record.path))
        if info is not None:
            record.size = info.size
    db.session.commit()


def files_query(run: Run, names: list[str] | None = None):
    """The run's files; with ``names``, only those paths."""
    stmt = select(RunFile).where(RunFile.run_pk == run.id)
    if names:
        stmt = stmt.where(RunFile.path.in_(names[:CHUNK]))
    return stmt


def list_files(run: Run, limit: int) -> list[RunFile]:
    """The run's first ``limit`` files by path."""
    return list(db.session.scalars(files_query(run).order_by(RunFile.path).limit(limit)))


def load_file(run: Run, path: str) -> RunFile:
    """The run's file ``path``; NotFound (``file_not_found``) otherwise."""
    record = db.session.scalar(files_query(run).where(RunFile.path == path))
    if record is None:
        raise NotFound(f"The run has no file {path!r}.", code="file_not_found")
    return record


def download(run: Run, record: RunFile) -> dict[str, Any]:
    return files.download_url(
        run.project.team, object_key(run.id, record.path), filename=record.path
    )


def stored_paths(run_pks: list[int]) -> list[str]:
    """Object keys of every file of these runs (read before the runs are deleted)."""
    keys = []
    for start in range(0, len(run_pks), CHUNK):
        rows = db.session.execute(
            select(RunFile.run_pk, RunFile.path).where(
                RunFile.run_pk.in_(run_pks[start : start + CHUNK])
            )
        )
        keys.extend(object_key(run_pk, path) for run_pk, path in rows)
    return keys


def delete_objects(team: Team, keys: list[str]) -> None:
    """Remove deleted runs' objects. The runs are gone already; a storage failure leaves an
    orphan object behind (logged) rather than undoing the deletion."""
    for key in keys:
        try:
            files.delete(team, key)
        except OutpostError as exc:
            log.warning("could not delete run file", extra={"key": key, "error": exc.message})
