"""Ansible callback for the deploy tests: writes every task's result per host and the play recap
as JSON to the file named by OUTPOST_TEST_ANSIBLE_REPORT (ansible-core ships no JSON callback).

Results of no_log tasks arrive already censored by Ansible.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: task_report
    type: aggregate
    short_description: JSON report of task results for the Outpost deploy tests
    description: Writes task results and stats to $OUTPOST_TEST_ANSIBLE_REPORT.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._tasks: list[dict] = []
        self._started = time.monotonic()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started = time.monotonic()

    def _record(self, result, status: str) -> None:
        data = dict(result._result)
        data.setdefault("changed", False)
        data["status"] = status
        if status in ("failed", "unreachable"):
            data["failed"] = True
        # "role : task name"; the tests name tasks without their role.
        name = result._task.get_name().split(" : ", 1)[-1]
        self._tasks.append(
            {
                "task": name,
                "host": result._host.get_name(),
                "seconds": round(time.monotonic() - self._started, 2),
                "result": json.loads(json.dumps(data, default=str)),
            }
        )

    def v2_runner_on_ok(self, result, **kwargs):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result, **kwargs):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        with open(os.environ["OUTPOST_TEST_ANSIBLE_REPORT"], "w", encoding="utf-8") as fh:
            json.dump({"tasks": self._tasks, "stats": summary}, fh, indent=1)
