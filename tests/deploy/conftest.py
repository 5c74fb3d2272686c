"""The chart is loaded and every value set rendered once per test session; the Helm tests share
that output (rendering is the slow part)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import helm_python as helm
import pytest

from tests.deploy.ansible_run import REPO
from tests.deploy.chart import VALUE_SETS, load_chart, render
from tests.deploy.service_host import (
    SERVICE_USER,
    ServiceHost,
    link_dependencies,
    make_service_user,
    remove_service_user,
)


@pytest.fixture(scope="session")
def chart():
    helm.disable_logging()
    with load_chart() as loaded:
        yield loaded


@pytest.fixture(scope="session")
def rendered(chart):
    return {name: render(values, chart=chart) for name, values in VALUE_SETS.items()}


@pytest.fixture(scope="session")
def service_host():
    """A world-traversable root with Outpost's dependencies linked in, and a system user of its
    own for the service, as on a production host (the roles run `outpost` as that user)."""
    if os.geteuid() != 0:
        pytest.fail("the Ansible tests create a system user: run them as root", pytrace=False)
    root = Path(tempfile.mkdtemp(prefix="outpost-host-", dir="/tmp"))
    root.chmod(0o755)
    make_service_user(SERVICE_USER)
    try:
        yield ServiceHost(root, link_dependencies(root / "deps"), SERVICE_USER)
    finally:
        remove_service_user(SERVICE_USER)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def outpost_wheel(tmp_path_factory) -> Path:
    """A wheel of this checkout, built from a copy so the work tree stays clean."""
    source = tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("server", "license", "config"):
        shutil.copytree(REPO / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)],
        check=True,
        timeout=300,
    )
    return next(out.glob("outpost-*.whl"))
