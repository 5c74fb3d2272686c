"""Artifacts with the real SDK: log_artifact, use_artifact and download; read back over REST."""

import http.server
import threading
import uuid
from pathlib import Path

import pytest
import requests


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


class _RemoteFile(http.server.BaseHTTPRequestHandler):
    """A file on a 127.0.0.1 web server that the SDK references (and fetches itself)."""

    body = b"remote bytes\n"
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.seen.append(self.headers.get("User-Agent", ""))
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("ETag", '"remote-v1"')
        self.end_headers()
        self.wfile.write(self.body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def remote_file():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RemoteFile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/remote.txt"
    server.shutdown()
    server.server_close()


def test_reference_artifacts_are_resolved_by_the_sdk(run_sdk, outpost, remote_file):
    project = f"refs-{uuid.uuid4().hex[:8]}"
    result = run_sdk(
        f"""
        import json, os, wandb
        os.makedirs("refs", exist_ok=True)
        with open("refs/local.txt", "w") as f:
            f.write("local bytes\\n")
        run = wandb.init(project="{project}", entity="lab")
        art = wandb.Artifact("refs", type="dataset")
        art.add_reference("file://" + os.path.abspath("refs/local.txt"))
        art.add_reference("{remote_file}")
        run.log_artifact(art)
        run.finish()

        reader = wandb.init(project="{project}", entity="lab")
        path = reader.use_artifact("refs:latest").download(root="downloaded")
        reader.finish()
        print(json.dumps({{
            "files": sorted(os.listdir(path)),
            "local": open(os.path.join(path, "local.txt")).read(),
            "remote": open(os.path.join(path, "remote.txt")).read(),
        }}))
        """
    )
    assert result.returncode == 0, result.output
    seen = result.json()
    assert seen == {
        "files": ["local.txt", "remote.txt"],
        "local": "local bytes\n",
        "remote": "remote bytes\n",
    }
    listed = outpost.ok(f"/teams/lab/projects/{project}/artifacts/refs/versions/v0/files")
    refs = {f["path"]: f["ref"] for f in listed["items"]}
    assert refs["remote.txt"] == remote_file and refs["local.txt"].startswith("file:///")
    assert refs["local.txt"].endswith("/refs/local.txt")


def test_a_file_of_two_gib_uploads_in_parts(run_newest_sdk, outpost):
    """The SDK uploads files of 2 GiB and more in 100 MiB parts (a threshold it does not let
    one change); the parts are joined and the whole file's MD5 checked at commit."""
    project = f"big-{uuid.uuid4().hex[:8]}"
    result = run_newest_sdk(
        f"""
        import hashlib, json, os, wandb
        size = 2 * 1024**3 + 123
        with open("big.bin", "wb") as f:
            f.truncate(size)  # sparse: cheap to make and read
            f.seek(size - 5)
            f.write(b"tail!")
        md5 = hashlib.md5()
        with open("big.bin", "rb") as f:
            while chunk := f.read(16 * 1024**2):
                md5.update(chunk)
        run = wandb.init(project="{project}", entity="lab")
        art = wandb.Artifact("big", type="model")
        art.add_file("big.bin", policy="immutable")
        run.log_artifact(art).wait()
        run.finish()
        os.remove("big.bin")
        print(json.dumps({{"md5": md5.hexdigest(), "size": size}}))
        """,
        timeout=600,
    )
    assert result.returncode == 0, result.output
    seen = result.json()
    base = f"/teams/lab/projects/{project}/artifacts/big/versions/v0"
    assert outpost.ok(base)["state"] == "committed"
    listed = outpost.ok(f"{base}/files")["items"]
    assert [(f["path"], f["digest"], f["size"]) for f in listed] == [
        ("big.bin", "md5:" + seen["md5"], seen["size"])
    ]
    parts = Path(outpost.env["OUTPOST_DATA_DIR"]) / "storage" / ".outpost" / "multipart"
    assert parts.is_dir() and not any(parts.iterdir())  # a multipart upload ran and completed
    deleted = requests.delete(
        f"{outpost.url}/api/v1{base}",
        headers={"Authorization": f"Bearer {outpost.keys['bob']}"},
        timeout=60,
    )
    assert deleted.status_code == 204  # frees the 2 GiB in the test's storage
