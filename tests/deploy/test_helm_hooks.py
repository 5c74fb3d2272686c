"""Every hook of the chart uses only what exists when Helm runs it (a first install on an empty
namespace must not wait for objects that Helm creates after the hook)."""

from __future__ import annotations

import pytest

from tests.deploy.chart import DATABASE, VALUE_SETS, render
from tests.deploy.hooks import missing_at_hook_time

EXTRA_SETS = {
    "existing-account": {**DATABASE, "serviceAccount": {"create": False, "name": "outpost-sa"}},
    "no-migrations": {**DATABASE, "migrations": {"enabled": False}, "teams": [{"name": "a1"}]},
}


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_every_hook_finds_what_it_references(rendered, value_set):
    assert missing_at_hook_time(rendered[value_set].objects) == []


@pytest.mark.parametrize("value_set", sorted(EXTRA_SETS))
def test_hooks_with_other_accounts_and_jobs(chart, value_set):
    assert missing_at_hook_time(render(EXTRA_SETS[value_set], chart=chart).objects) == []


def test_the_migration_job_runs_as_an_account_made_by_an_earlier_hook(rendered):
    out = rendered["defaults"]
    job = out.get("Job", "op-outpost-migrations")
    account = job["spec"]["template"]["spec"]["serviceAccountName"]
    hook_account = out.get("ServiceAccount", account)
    annotations = hook_account["metadata"]["annotations"]
    assert "pre-install" in annotations["helm.sh/hook"]
    assert int(annotations["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"]
    )


def test_the_check_catches_a_hook_using_an_ordinary_object(rendered):
    """The first-install defect: a pre-install job running as the release's own account."""
    objects = [dict(o) for o in rendered["defaults"].objects]
    job = next(o for o in objects if o["metadata"]["name"] == "op-outpost-migrations")
    broken = {**job, "spec": {**job["spec"], "template": {**job["spec"]["template"]}}}
    broken["spec"]["template"]["spec"] = {
        **job["spec"]["template"]["spec"],
        "serviceAccountName": "op-outpost",
    }
    objects[objects.index(job)] = broken
    problems = missing_at_hook_time(objects)
    assert any("needs ServiceAccount op-outpost, not created before it" in p for p in problems)
