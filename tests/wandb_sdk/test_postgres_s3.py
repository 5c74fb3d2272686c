"""One end-to-end scenario on PostgreSQL with S3 storage (moto): a run with files and an
artifact, logged and downloaded with the newest SDK, read back over REST."""

import uuid


def test_run_and_artifact_on_postgresql_and_s3(run_newest_sdk, outpost_pg_s3):
    project = f"pg-{uuid.uuid4().hex[:8]}"
    result = run_newest_sdk(
        f"""
        import json, os, wandb
        run = wandb.init(project="{project}", entity="lab", config={{"lr": 0.01}})
        for step in range(10):
            run.log({{"loss": 1.0 / (step + 1)}})
        print("on postgres")
        with open("weights.bin", "wb") as f:
            f.write(os.urandom(4096))
        art = wandb.Artifact("model", type="model")
        art.add_file("weights.bin")
        run.log_artifact(art)
        run.finish()
        got = wandb.Api().artifact("lab/{project}/model:latest")
        path = got.download(root="dl")
        mine = open("weights.bin", "rb").read()
        same = mine == open(os.path.join(path, "weights.bin"), "rb").read()
        print(json.dumps({{"run": run.id, "same": same}}))
        """,
        server=outpost_pg_s3,
    )
    assert result.returncode == 0, result.output
    seen = result.json()
    assert seen["same"] is True
    base = f"/teams/lab/projects/{project}/runs/{seen['run']}"
    run = outpost_pg_s3.ok(base)
    assert run["state"] == "finished" and run["history"]["rows"] == 10
    assert run["config"] == {"lr": 0.01}
    console = outpost_pg_s3.ok(base + "/console")["items"]
    assert any("on postgres" in line["text"] for line in console)
    files = {f["path"]: f for f in outpost_pg_s3.ok(base + "/files")["items"]}
    assert files["config.yaml"]["size"] > 0
    version = outpost_pg_s3.ok(f"/teams/lab/projects/{project}/artifacts/model/versions/v0")
    assert version["state"] == "committed" and version["size"] == 4096
