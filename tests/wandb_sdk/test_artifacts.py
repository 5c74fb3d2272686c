"""Artifacts with the real SDK: log_artifact, use_artifact and download; read back over REST."""

import uuid


def test_log_use_and_download_an_artifact(run_sdk, outpost):
    project = f"art-{uuid.uuid4().hex[:8]}"
    result = run_sdk(
        f"""
        import json, os, wandb
        run = wandb.init(project="{project}", entity="lab")
        os.makedirs("data", exist_ok=True)
        with open("data/train.txt", "w") as f:
            f.write("hello artifact\\n")
        with open("data/labels.csv", "w") as f:
            f.write("a,b\\n1,2\\n")
        art = wandb.Artifact("ds", type="dataset", metadata={{"rows": 2}})
        art.add_dir("data")
        run.log_artifact(art, aliases=["best"])
        run.finish()

        reader = wandb.init(project="{project}", entity="lab")
        used = reader.use_artifact("ds:best")
        path = used.download(root="downloaded")
        reader.finish()
        got = wandb.Api().artifact("lab/{project}/ds:latest")
        print(json.dumps({{
            "files": sorted(os.listdir(path)),
            "text": open(os.path.join(path, "train.txt")).read(),
            "version": got.version,
            "aliases": sorted(got.aliases),
            "type": got.type,
            "reader": reader.id,
        }}))
        """
    )
    assert result.returncode == 0, result.output
    seen = result.json()
    assert seen["files"] == ["labels.csv", "train.txt"]
    assert seen["text"] == "hello artifact\n"
    assert seen["version"] == "v0" and seen["type"] == "dataset"
    assert {"best", "latest"} <= set(seen["aliases"])
    version = outpost.ok(f"/teams/lab/projects/{project}/artifacts/ds/versions/v0")
    assert version["state"] == "committed"
    assert version["file_count"] == 2 and version["metadata"] == {"rows": 2}
    assert set(version["aliases"]) == {"latest", "best"}
    assert version["created_by"] == "bob"
    used = outpost.ok(f"/teams/lab/projects/{project}/runs/{seen['reader']}/used-artifacts")
    assert [(u["artifact"], u["version"]) for u in used["items"]] == [("ds", "v0")]
