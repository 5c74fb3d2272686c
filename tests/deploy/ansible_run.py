"""Run the deploy/ansible playbooks for real with ansible-playbook against localhost.

A small callback (callback_plugins/task_report.py) records every task's result and the play
recap as JSON, so tests can say which tasks changed something. Ansible's own state
(ANSIBLE_HOME, temp files) goes under tmp_path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "deploy" / "ansible"
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
PLAYBOOKS = sorted(p.name for p in ANSIBLE_DIR.glob("*.yml"))
TIMEOUT_S = 300


@dataclass
class PlaybookRun:
    rc: int
    output: dict
    log: str

    @property
    def stats(self) -> dict:
        return self.output["stats"]["localhost"]

    def results(self) -> list[tuple[str, dict]]:
        """(task name, localhost result) for every task that ran or was skipped."""
        return [(t["task"], t["result"]) for t in self.output["tasks"] if t["host"] == "localhost"]

    @property
    def changed(self) -> list[str]:
        return [name for name, result in self.results() if result.get("changed")]

    def result(self, name: str) -> dict:
        matches = [result for task, result in self.results() if task == name]
        assert matches, f"no task {name!r}; tasks: {[t for t, _ in self.results()]}"
        return matches[-1]

    def failure(self) -> str:
        failed = [(n, r) for n, r in self.results() if r.get("failed")]
        return "\n".join(f"{n}: {r.get('msg')} {r.get('stderr', '')}" for n, r in failed)


def localhost_inventory(tmp_path: Path, groups: tuple[str, ...]) -> Path:
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = {"all": {"children": {g: {"hosts": {"localhost": host}} for g in groups}}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path


def run_playbook(
    playbook: str,
    tmp_path: Path,
    extra_vars: dict,
    *,
    check: bool = False,
    groups: tuple[str, ...] = ("outpost", "minio"),
) -> PlaybookRun:
    """Run one playbook of deploy/ansible with ``extra_vars``; return its parsed JSON report."""
    state = tmp_path / "ansible-state"
    state.mkdir(exist_ok=True)
    vars_file = tmp_path / "extra-vars.json"
    vars_file.write_text(json.dumps({"outpost_become": False, **extra_vars}))
    report = tmp_path / "ansible-report.json"
    report.unlink(missing_ok=True)
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_CALLBACKS_ENABLED": "task_report",
        "OUTPOST_TEST_ANSIBLE_REPORT": str(report),
        "ANSIBLE_HOME": str(state),
        "ANSIBLE_LOCAL_TEMP": str(state / "tmp"),
        "ANSIBLE_NOCOLOR": "1",
        # The roles run `outpost` commands as the service user; these machines have su, not sudo.
        "ANSIBLE_BECOME_METHOD": "su",
        "ANSIBLE_SU_FLAGS": "-s /bin/sh",  # service users have no login shell
    }
    args = [sys.executable, "-m", "ansible.cli.playbook", str(ANSIBLE_DIR / playbook)]
    args += ["-i", str(localhost_inventory(tmp_path, groups)), "-e", f"@{vars_file}"]
    if check:
        args.append("--check")
    proc = subprocess.run(
        args, cwd=ANSIBLE_DIR, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    if not report.is_file():
        raise AssertionError(
            f"ansible-playbook stopped before its recap (rc {proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    output = json.loads(report.read_text())
    return PlaybookRun(proc.returncode, output, proc.stdout + proc.stderr)


def assert_succeeded(run: PlaybookRun) -> PlaybookRun:
    assert run.rc == 0 and run.stats["failures"] == 0, run.failure() or run.log[-3000:]
    return run
