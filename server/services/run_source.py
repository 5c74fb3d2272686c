"""Where a run's code came from: its git remote and commit, and the links the run page shows.

Clients send them when they start a run (REST ``git_remote``/``git_commit``; the W&B SDK's
``upsertBucket`` ``commit`` and ``jobRepo``, and the ``git`` section of the
``wandb-metadata.json`` it uploads). A commit is 7 to 40 hex digits. A remote is a URL
(``https``, ``http``, ``ssh``, ``git``) or the scp form ``git@host:owner/repo.git``; user
names and passwords in it (CI tokens often are) are never stored. A GitHub remote is stored
as its ``https://`` web address; the run page links to the commit on GitHub (or GitHub
Enterprise Server, when the GitHub connection is set up with its endpoints) and to the
repository for another ``https://`` remote. A link is only ever built from parts checked
here, so no other scheme (``javascript:``) can reach a page.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update

from ..errors import OutpostError, ValidationFailed
from ..extensions import db
from ..models import Run

log = logging.getLogger(__name__)

MAX_REMOTE = 512
MAX_METADATA_BYTES = 256 * 1024  # wandb-metadata.json is a few KB
WANDB_METADATA = "wandb-metadata.json"
COMMIT_RE = re.compile(r"^[0-9a-fA-F]{7,40}$")
HOST_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")
PATH_RE = re.compile(r"^[A-Za-z0-9._~/+-]+$")
SCP_RE = re.compile(r"^(?:(?P<user>[A-Za-z0-9._-]+)@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/].*)$")
OWNER_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
REPO_RE = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
URL_SCHEMES = ("https", "http", "ssh", "git", "git+ssh")
GITHUB_HOSTS = ("github.com", "www.github.com")


@dataclass(frozen=True)
class Remote:
    """A parsed remote: ``scheme`` is ``scp`` for ``user@host:path``."""

    scheme: str
    host: str
    port: int | None
    user: str
    path: str  # without leading or trailing "/"

    def github_repo(self, hosts: tuple[str, ...]) -> tuple[str, str] | None:
        """``(owner, repo)`` when this is a repository on one of the GitHub ``hosts``."""
        if self.host not in hosts:
            return None
        parts = self.path.removesuffix(".git").split("/")
        if len(parts) == 2 and OWNER_RE.match(parts[0]) and REPO_RE.match(parts[1]):
            return parts[0], parts[1]
        return None


@dataclass(frozen=True)
class SourceLinks:
    """What the run page shows: the remote and commit as text, and links when safe."""

    remote: str | None
    commit: str | None
    repo_url: str | None = None
    commit_url: str | None = None
    on_github: bool = False


def parse_remote(value: str) -> Remote | None:
    """The remote ``value`` names, or None when it is no URL or scp form Outpost accepts."""
    if not value or len(value) > MAX_REMOTE or any(c.isspace() or ord(c) < 32 for c in value):
        return None
    if "://" in value:
        parts = urlsplit(value)
        try:
            port = parts.port
        except ValueError:
            return None
        scheme, host = parts.scheme.lower(), (parts.hostname or "")
        if scheme not in URL_SCHEMES or parts.query or parts.fragment:
            return None
        user, path = parts.username or "", parts.path
    else:
        match = SCP_RE.match(value)
        if match is None:
            return None
        scheme, host, port = "scp", match["host"].lower(), None
        user, path = match["user"] or "", match["path"]
        if not user and "." not in host:  # "javascript:x/y" is not a remote
            return None
    path = path.strip("/")
    segments = path.split("/")
    if not HOST_RE.match(host) or not PATH_RE.match(path) or {"", ".", ".."} & set(segments):
        return None
    return Remote(scheme, host, port, user, path)


def github_hosts() -> tuple[str, ...]:
    """github.com, and the GitHub Enterprise Server the GitHub connection is set up with."""
    from .github import is_configured, web_url

    hosts = GITHUB_HOSTS
    if is_configured():
        host = (urlsplit(web_url()).hostname or "").lower()
        if host and host not in hosts:
            hosts = (*hosts, host)
    return hosts


def _stored(remote: Remote) -> str:
    """The remote as stored: a GitHub repository as its web address, any other without the
    password or (for http) the user name it may carry."""
    repo = remote.github_repo(github_hosts())
    if repo is not None:
        return f"https://{remote.host}/{repo[0]}/{repo[1]}"
    if remote.scheme == "scp":
        return f"{remote.user + '@' if remote.user else ''}{remote.host}:{remote.path}"
    port = f":{remote.port}" if remote.port else ""
    user = f"{remote.user}@" if remote.user and remote.scheme not in ("http", "https") else ""
    return f"{remote.scheme}://{user}{remote.host}{port}/{remote.path}"


def clean_remote(value: Any) -> str:
    """The remote as stored; raises ValidationFailed (``invalid_git_remote``)."""
    remote = parse_remote(value.strip()) if isinstance(value, str) else None
    if remote is None:
        raise ValidationFailed(
            "git_remote must be a repository URL (https://host/owner/repo, ssh://...) or "
            f"git@host:owner/repo.git, at most {MAX_REMOTE} characters.",
            code="invalid_git_remote",
        )
    return _stored(remote)


def clean_commit(value: Any) -> str:
    """The commit id in lower case; raises ValidationFailed (``invalid_git_commit``)."""
    if not isinstance(value, str) or not COMMIT_RE.match(value.strip()):
        raise ValidationFailed(
            "git_commit must be a commit id: 7 to 40 hexadecimal digits.",
            code="invalid_git_commit",
        )
    return value.strip().lower()


def columns(remote: Any = None, commit: Any = None) -> dict[str, str]:
    """The run columns for the ``remote`` and ``commit`` given (None: not given). Raises
    ValidationFailed for a value that is not a remote or a commit."""
    values = {}
    if remote is not None:
        values["git_remote"] = clean_remote(remote)
    if commit is not None:
        values["git_commit"] = clean_commit(commit)
    return values


def lenient_columns(remote: Any = None, commit: Any = None) -> dict[str, str]:
    """Like :func:`columns`, but a value that does not pass is left out (the W&B SDK sends
    what git says; a run must not fail over an odd remote)."""
    values = {}
    for name, value in (("remote", remote), ("commit", commit)):
        try:
            values.update(columns(**{name: value or None}))
        except ValidationFailed:
            log.info("ignored a run's git %s the client sent", name)
    return values


def links(run: Run) -> SourceLinks | None:
    """The run page's source row, or None when the run names neither remote nor commit."""
    if not run.git_remote and not run.git_commit:
        return None
    remote = parse_remote(run.git_remote or "")
    if remote is None:
        return SourceLinks(run.git_remote, run.git_commit)
    repo = remote.github_repo(github_hosts())
    if repo is not None:
        repo_url = f"https://{remote.host}/{repo[0]}/{repo[1]}"
        commit = run.git_commit if COMMIT_RE.match(run.git_commit or "") else None
        commit_url = f"{repo_url}/commit/{commit}" if commit else None
        return SourceLinks(run.git_remote, run.git_commit, repo_url, commit_url, True)
    if remote.scheme == "https" and not remote.user:
        port = f":{remote.port}" if remote.port else ""
        return SourceLinks(
            run.git_remote, run.git_commit, f"https://{remote.host}{port}/{remote.path}"
        )
    return SourceLinks(run.git_remote, run.git_commit)


def note_wandb_metadata(run: Run) -> None:
    """Read the ``git`` section of the run's uploaded ``wandb-metadata.json`` and keep the
    remote and commit the run does not have yet. A missing, oversized or malformed file, or a
    storage failure, leaves the run as it is (the file stream goes on)."""
    if run.git_remote and run.git_commit:
        return
    try:
        metadata = _read_json(run, WANDB_METADATA)
    except OutpostError as exc:
        log.warning("could not read a run's wandb-metadata.json", extra={"error": exc.message})
        return
    git = metadata.get("git") if isinstance(metadata, dict) else None
    if not isinstance(git, dict):
        return
    found = lenient_columns(git.get("remote"), git.get("commit"))
    values = {key: value for key, value in found.items() if not getattr(run, key)}
    if values:
        # Only these two columns: the optimistic writers of runs (which compare updated_at
        # and the history count) are not disturbed.
        db.session.execute(update(Run).where(Run.id == run.id).values(values))
        db.session.commit()


def _read_json(run: Run, path: str) -> Any:
    from ..storage import StorageError
    from . import files
    from .run_files import object_key

    team = run.project.team
    info = files.stat(team, object_key(run.id, path))
    if info is None or info.size > MAX_METADATA_BYTES:
        return None
    where = files.team_location(team)
    try:
        data = where.provider.get_bytes(where.bucket, where.key(object_key(run.id, path)))
    except StorageError as exc:
        raise files.storage_error(exc) from None
    try:
        return json.loads(data)
    except ValueError:
        return None
