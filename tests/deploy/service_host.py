"""A host layout a separate service user can use: a world-traversable prefix and a virtualenv
made with the distribution's Python (this test Python lives under /root, which other users
cannot enter) that sees hard links of Outpost's dependencies, so nothing is downloaded."""

from __future__ import annotations

import importlib.metadata as metadata
import os
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from tests.deploy.ansible_run import REPO

SYSTEM_PYTHON = "/usr/bin/python3"
SERVICE_USER = f"outpost-t{os.getpid() % 100000}"


@dataclass
class ServiceHost:
    root: Path  # world-traversable; install prefixes go below it
    dependencies: Path
    user: str

    def prefix(self, name: str, *, venv: bool = True) -> Path:
        """A fresh install prefix; with ``venv`` the virtualenv the role finds already made."""
        prefix = self.root / name
        if venv:
            make_venv(prefix / "opt/outpost/venv", self.dependencies)
        return prefix


def _closure() -> list[metadata.Distribution]:
    """Installed distributions Outpost needs at run time (pyproject dependencies, recursively)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    todo = [Requirement(r) for r in project["dependencies"]]
    seen: dict[str, metadata.Distribution] = {}
    while todo:
        req = todo.pop()
        key = req.name.lower().replace("_", "-")
        if key in seen:
            continue
        dist = metadata.distribution(req.name)
        seen[key] = dist
        for raw in dist.requires or []:
            dep = Requirement(raw)
            extras = req.extras or {""}
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in extras):
                todo.append(dep)
    return list(seen.values())


def link_dependencies(target: Path) -> Path:
    """Hard-link every file of Outpost's dependencies (and pip) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    dists = _closure() + [metadata.distribution("pip")]
    for dist in dists:
        base = Path(dist.locate_file(""))
        for item in dist.files or []:
            source = Path(dist.locate_file(item)).resolve()
            if not source.is_file() or base not in source.parents:
                continue
            dest = target / source.relative_to(base)
            if dest.exists():
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, dest)
            except OSError:
                shutil.copy2(source, dest)
    for path in [target, *target.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    return target


def make_venv(venv: Path, dependencies: Path) -> None:
    """The virtualenv the role would create, seeing the linked dependencies through a .pth."""
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(venv)], check=True, timeout=120)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "outpost-test-dependencies.pth").write_text(f"{dependencies}\n")


def make_service_user(name: str) -> None:
    subprocess.run(
        [
            "useradd",
            "--system",
            "--user-group",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            name,
        ],
        check=True,
        timeout=60,
    )


def remove_service_user(name: str) -> None:
    subprocess.run(["userdel", name], check=False, timeout=60)
    subprocess.run(["groupdel", name], check=False, timeout=60, capture_output=True)
