"""Which version a rolling update replaces: "the previous release", found in git.

The rule (deploy/README.md, "Upgrades and rollbacks"), first match wins:

1. ``OUTPOST_PREVIOUS_RELEASE``: any git ref (to test one upgrade path on purpose);
2. the newest tag ``v*`` reachable from HEAD (how releases are marked);
3. the commit that last set ``version`` in pyproject.toml, if it has migrations;
4. otherwise, before any release with a database schema: main as it stood before the newest
   day of migrations (migration files are named ``YYYYMMDD_<revision>_<slug>.py``), the newest
   first-parent ancestor of HEAD without a migration of that day. A running deployment is at
   least that old.
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from tests.deploy.ansible_run import REPO

VERSIONS = "server/migrations/versions"


@dataclass(frozen=True)
class Release:
    commit: str
    rule: str  # which step of the rule chose it, for messages

    @property
    def head_revision(self) -> str:
        return head_revision(self.commit)


def git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def migration_files(commit: str) -> list[str]:
    listing = git("ls-tree", "--name-only", commit, f"{VERSIONS}/")
    return [Path(p).name for p in listing.split() if p.endswith(".py")]


def _revisions(commit: str) -> dict[str, tuple[str, ...]]:
    """revision -> its down revisions, read from the files as they are at ``commit``."""
    found: dict[str, tuple[str, ...]] = {}
    for name in migration_files(commit):
        values = {}
        for node in ast.parse(git("show", f"{commit}:{VERSIONS}/{name}")).body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                if node.targets[0].id in ("revision", "down_revision"):
                    values[node.targets[0].id] = ast.literal_eval(node.value)
        down = values.get("down_revision") or ()
        found[values["revision"]] = tuple(down) if isinstance(down, tuple | list) else (down,)
    return found


def head_revision(commit: str) -> str:
    revisions = _revisions(commit)
    downs = {d for parents in revisions.values() for d in parents}
    heads = sorted(set(revisions) - downs)
    assert len(heads) == 1, f"{commit[:10]} has {len(heads)} migration heads: {heads}"
    return heads[0]


def before_newest_migration_day() -> str:
    day = max(name[:8] for name in migration_files("HEAD"))
    for commit in git("rev-list", "--first-parent", "HEAD").split():
        if not any(name.startswith(day) for name in migration_files(commit)):
            return commit
    raise AssertionError(f"no commit before the migrations of {day}: is the clone shallow?")


def previous_release() -> Release:
    override = os.environ.get("OUTPOST_PREVIOUS_RELEASE")
    if override:
        return Release(
            git("rev-parse", f"{override}^{{commit}}").strip(), "OUTPOST_PREVIOUS_RELEASE"
        )
    tags = git("tag", "--merged", "HEAD", "--sort=-creatordate", "--list", "v*").split()
    if tags:
        return Release(git("rev-parse", f"{tags[0]}^{{commit}}").strip(), f"tag {tags[0]}")
    versioned = git(
        "log", "-1", "--format=%H", "-G", r"^version = ", "--", "pyproject.toml"
    ).strip()
    if versioned and migration_files(versioned):
        return Release(versioned, "commit that set the version in pyproject.toml")
    return Release(before_newest_migration_day(), "main before the newest day of migrations")


def export(commit: str, dest: Path) -> Path:
    """The tree of ``commit`` (``git archive``) unpacked into ``dest``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit],
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest
