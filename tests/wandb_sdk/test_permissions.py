"""The SDK is governed by Outpost's roles: view-only members, outsiders and deleted keys."""

import uuid


def test_view_only_member_may_not_log_runs(run_sdk, outpost):
    project = f"viewonly-{uuid.uuid4().hex[:6]}"
    result = run_sdk(
        f"""
        import wandb
        wandb.init(project="{project}", entity="lab")
        """,
        key="vic",
        timeout=120,
    )
    assert result.returncode != 0
    assert "may not log runs" in result.output
    assert outpost.get(f"/teams/lab/projects/{project}", "ada").status_code == 404


def test_outsider_cannot_write_or_see_a_private_project(run_sdk, outpost):
    wrote = run_sdk(
        """
        import wandb
        wandb.init(project="secret", entity="other")
        """,
        key="bob",
        timeout=120,
    )
    assert wrote.returncode != 0
    assert "No team named 'other'" in wrote.output or "No project" in wrote.output
    runs = outpost.ok("/teams/other/projects/secret/runs", key="olga")
    assert runs["items"] == []
    read = run_sdk(
        """
        import json, wandb
        try:
            runs = list(wandb.Api().runs("other/secret"))
            print(json.dumps({"runs": len(runs)}))
        except Exception as exc:
            print(json.dumps({"error": str(exc)}))
        """,
        key="bob",
    )
    assert read.returncode == 0, read.output
    assert read.json().get("runs", 0) == 0


def test_deleted_key_is_refused(run_sdk, outpost):
    result = run_sdk(
        """
        import wandb
        wandb.login(verify=True)
        """,
        key="deleted",
        timeout=120,
    )
    assert result.returncode != 0
    assert "Invalid, deleted or disabled API key" in result.output or "401" in result.output
