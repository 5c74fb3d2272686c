"""init → log → finish, resume, login and the public API with the real SDK; each result is
read back through Outpost's REST API."""

import uuid

RUNS = "/teams/lab/projects/{project}/runs"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_init_log_finish_lands_in_outpost(run_sdk, outpost):
    project = unique("mnist")
    result = run_sdk(
        f"""
        import time, wandb
        run = wandb.init(project="{project}", entity="lab", config={{"lr": 0.1, "layers": 3}},
                         tags=["baseline"], notes="first try",
                         settings=wandb.Settings(x_stats_sampling_interval=1))
        for step in range(25):
            run.log({{"loss": 1.0 / (step + 1), "acc": step / 25}})
        print("training done")
        time.sleep(3)  # a few system-metric samples
        run.finish()
        print(run.id)
        """
    )
    assert result.returncode == 0, result.output
    run_id = result.stdout.strip().splitlines()[-1]
    base = RUNS.format(project=project) + f"/{run_id}"
    run = outpost.ok(base)
    assert run["state"] == "finished" and run["exit_code"] == 0
    assert run["created_by"] == "bob" and run["logged_by"] == "bob"
    assert run["config"] == {"lr": 0.1, "layers": 3}
    assert run["tags"] == ["baseline"] and run["notes"] == "first try"
    assert run["summary"]["loss"] == 1.0 / 25
    assert run["history"] == {"rows": 25, "last_step": 24}
    rows = outpost.ok(base + "/history", limit=100)["items"]
    assert [row["_step"] for row in rows] == list(range(25))
    assert rows[3]["loss"] == 0.25
    files = {f["path"]: f for f in outpost.ok(base + "/files")["items"]}
    assert {"config.yaml", "wandb-summary.json", "requirements.txt", "output.log"} <= set(files)
    assert all(f["size"] and f["size"] > 0 for f in files.values())
    console = outpost.ok(base + "/console")["items"]
    assert any("training done" in line["text"] for line in console)
    metrics = outpost.ok(base + "/system-metrics")["items"]
    assert metrics and any(k.startswith("system.") for k in metrics[0]["metrics"])
    # the project was created on first use, by the member who logged
    assert outpost.ok(f"/teams/lab/projects/{project}")["name"] == project


def test_a_crashing_script_leaves_a_crashed_run(run_sdk, outpost):
    project = unique("crash")
    result = run_sdk(
        f"""
        import sys, wandb
        run = wandb.init(project="{project}", entity="lab")
        run.log({{"loss": 1}})
        print(run.id, flush=True)
        run.finish(exit_code=3)
        """
    )
    assert result.returncode == 0, result.output
    run_id = result.stdout.split()[0]
    run = outpost.ok(RUNS.format(project=project) + f"/{run_id}")
    assert run["state"] == "crashed" and run["exit_code"] == 3


def test_resume_continues_the_same_run(run_sdk, outpost):
    project, run_id = unique("resume"), unique("r")
    script = f"""
        import wandb
        run = wandb.init(project="{project}", entity="lab", id="{run_id}", resume="allow")
        for i in range(3):
            run.log({{"phase": PHASE}})
        run.finish()
        """
    first = run_sdk(script.replace("PHASE", "1"))
    assert first.returncode == 0, first.output
    second = run_sdk(script.replace('resume="allow"', 'resume="must"').replace("PHASE", "2"))
    assert second.returncode == 0, second.output
    base = RUNS.format(project=project) + f"/{run_id}"
    run = outpost.ok(base)
    assert run["state"] == "finished"
    assert run["history"] == {"rows": 6, "last_step": 5}
    rows = outpost.ok(base + "/history")["items"]
    assert [row["_step"] for row in rows] == [0, 1, 2, 3, 4, 5]
    assert [row["phase"] for row in rows] == [1, 1, 1, 2, 2, 2]


def test_omitted_entity_means_the_default_team(run_sdk, outpost):
    project = unique("default")
    result = run_sdk(
        f"""
        import wandb
        run = wandb.init(project="{project}")
        run.log({{"x": 1}})
        run.finish()
        print(run.entity, run.id)
        """
    )
    assert result.returncode == 0, result.output
    entity, run_id = result.stdout.strip().splitlines()[-1].split()
    assert entity == "lab"
    assert outpost.ok(RUNS.format(project=project) + f"/{run_id}")["state"] == "finished"


def test_no_team_at_all_says_to_set_wandb_entity(run_sdk, outpost):
    result = run_sdk(
        """
        import wandb
        wandb.init(project="anything")
        """,
        key="nora",
        timeout=120,
    )
    assert result.returncode != 0
    assert "WANDB_ENTITY" in result.output and "default team" in result.output


def test_service_account_runs_are_attributed_like_over_rest(run_sdk, outpost):
    project = unique("ci")
    code = f"""
        import wandb
        run = wandb.init(project="{project}", entity="lab")
        run.log({{"x": 1}})
        run.finish()
        print(run.id)
        """
    named = run_sdk(code, key="bot", WANDB_USERNAME="bob")
    anonymous = run_sdk(code, key="bot")
    stranger = run_sdk(code, key="bot", WANDB_USERNAME="olga")
    by_email = run_sdk(code, key="bot", WANDB_USER_EMAIL="bob@example.test")
    for result in (named, anonymous, stranger, by_email):
        assert result.returncode == 0, result.output
    runs = RUNS.format(project=project)
    mine = outpost.ok(f"{runs}/{named.stdout.split()[-1]}")
    assert (mine["created_by"], mine["logged_by"]) == ("bob", "lab-ci")
    bot = outpost.ok(f"{runs}/{anonymous.stdout.split()[-1]}")
    assert (bot["created_by"], bot["logged_by"]) == ("lab-ci", "lab-ci")
    refused = outpost.ok(f"{runs}/{stranger.stdout.split()[-1]}")
    assert refused["created_by"] == "lab-ci"  # not a member of the team: no attribution
    emailed = outpost.ok(f"{runs}/{by_email.stdout.split()[-1]}")
    assert (emailed["created_by"], emailed["logged_by"]) == ("bob", "lab-ci")


def test_login_verify_and_the_public_api(run_sdk, outpost):
    project = unique("api")
    result = run_sdk(
        f"""
        import json, wandb
        assert wandb.login(key=None, verify=True)
        run = wandb.init(project="{project}", entity="lab", config={{"lr": 0.5}})
        for i in range(7):
            run.log({{"loss": 10 - i}})
        run.finish()
        api = wandb.Api()
        runs = list(api.runs("lab/{project}"))
        one = api.run(f"lab/{project}/{{run.id}}")
        history = one.history(pandas=False)
        scanned = list(one.scan_history())
        files = sorted(f.name for f in one.files())
        print(json.dumps({{
            "ids": [r.id for r in runs],
            "state": one.state,
            "config": {{k: v for k, v in one.config.items() if not k.startswith("_")}},
            "loss": one.summary["loss"],
            "history": [row["loss"] for row in history],
            "scanned": [row["loss"] for row in scanned],
            "files": files,
        }}))
        """
    )
    assert result.returncode == 0, result.output
    seen = result.json()
    assert len(seen["ids"]) == 1
    assert seen["state"] == "finished"
    assert seen["config"] == {"lr": 0.5}
    assert seen["loss"] == 4
    assert seen["history"] == [10, 9, 8, 7, 6, 5, 4]
    assert seen["scanned"] == [10, 9, 8, 7, 6, 5, 4]
    assert "config.yaml" in seen["files"]
