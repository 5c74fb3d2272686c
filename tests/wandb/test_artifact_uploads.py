"""Large and reference artifact files over the W&B protocol, in process, on every storage
provider: multipart uploads of a file in parts (S3 and the filesystem join the parts; GCS
answers no part URLs, so the SDK sends one PUT), always checked by MD5 at commit; reference
entries committed without bytes, listed with their URI, refused for other schemes."""

import base64
import hashlib
import json
from urllib.parse import urlsplit

import pytest
import requests

from server.services import teams as team_service
from server.services.teams import load_team
from tests.factories import make_key, make_project, make_user
from tests.fixtures.object_storage import app_on_provider
from tests.wandb.test_artifacts_protocol import COMMIT, CREATE, MANIFEST
from tests.wandb.test_protocol import gql

FILES = """
mutation CreateArtifactFiles($input: CreateArtifactFilesInput!) {
  createArtifactFiles(input: $input) {
    files { edges { node { storagePath uploadUrl uploadHeaders
      uploadMultipartUrls { uploadID uploadUrlParts { partNumber uploadUrl } } } } }
  }
}
"""
COMPLETE = """
mutation CompleteMultipartUploadArtifact($completeMultipartAction: CompleteMultipartAction!,
    $completedParts: [UploadPartsInput!]!, $artifactID: ID!, $storagePath: String!,
    $uploadID: String!) {
  completeMultipartUploadArtifact(input: {completeMultipartAction: $completeMultipartAction,
      completedParts: $completedParts, artifactID: $artifactID, storagePath: $storagePath,
      uploadID: $uploadID}) { digest }
}
"""
MEMBERSHIP_FILES = """
query Files($id: ID!) {
  artifact(id: $id) { files(first: 10) { edges { node { name directUrl } } } }
}
"""
PART = 5 * 1024 * 1024  # S3's smallest part but the last


@pytest.fixture(params=["filesystem", "s3", "gcs"])
def storage_app(request, make_app):
    return app_on_provider(request, make_app, "wandbmp")


def _key(app) -> str:
    with app.app_context():
        ada = make_user("ada")
        team_service.create_team(ada, "lab")
        make_project(load_team("lab"), "p", created_by=ada)
        return make_key(ada)


def _put(app, url: str, data: bytes, headers: dict[str, str]):
    """PUT to a pre-signed URL: (status, ETag header)."""
    if url.startswith(app.config["OUTPOST"].url):
        parts = urlsplit(url)
        response = app.test_client().put(f"{parts.path}?{parts.query}", data=data, headers=headers)
        return response.status_code, response.headers.get("ETag")
    response = requests.put(url, data=data, headers=headers, timeout=30)
    return response.status_code, response.headers.get("ETag")


def _b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _start(client, key, name="ds"):
    variables = {
        "input": {
            "entityName": "lab",
            "projectName": "p",
            "artifactCollectionName": name,
            "artifactTypeName": "dataset",
        }
    }
    artifact_id = gql(client, key, CREATE, variables).json["data"]["createArtifact"]["artifact"][
        "id"
    ]
    manifest = gql(client, key, MANIFEST, {"artifactID": artifact_id}).json["data"]
    return artifact_id, manifest["createArtifactManifest"]["artifactManifest"]["file"]


def _upload_manifest(app, upload, contents):
    body = json.dumps({"version": 1, "contents": contents}).encode()
    headers = dict(h.split(":", 1) for h in upload["uploadHeaders"])
    assert _put(app, upload["uploadUrl"], body, headers)[0] in (200, 201, 204)


def _files_node(client, key, artifact_id, content, parts):
    spec = {
        "artifactID": artifact_id,
        "name": "big.bin",
        "md5": _b64md5(content),
        "uploadPartsInput": [
            {"partNumber": n + 1, "hexMD5": hashlib.md5(p).hexdigest()} for n, p in enumerate(parts)
        ],
    }
    answer = gql(client, key, FILES, {"input": {"artifactFiles": [spec]}}).json
    return answer["data"]["createArtifactFiles"]["files"]["edges"][0]["node"]


def _complete(client, key, artifact_id, node, etags, action="Complete"):
    variables = {
        "completeMultipartAction": action,
        "completedParts": [{"partNumber": n, "hexMD5": e} for n, e in etags],
        "artifactID": artifact_id,
        "storagePath": node["storagePath"],
        "uploadID": node["uploadMultipartUrls"]["uploadID"],
    }
    return gql(client, key, COMPLETE, variables).json


def test_a_large_file_uploads_in_parts_and_is_checked_at_commit(storage_app):
    key = _key(storage_app)
    client = storage_app.test_client()
    parts = [b"a" * PART, b"b" * 1000]
    content = b"".join(parts)
    artifact_id, manifest_upload = _start(client, key)
    node = _files_node(client, key, artifact_id, content, parts)
    multipart = node["uploadMultipartUrls"]
    if storage_app.config["OUTPOST"].storage_provider == "gcs":
        assert multipart is None  # the SDK falls back to one PUT of the whole file
        assert _put(storage_app, node["uploadUrl"], content, {})[0] == 200
    else:
        assert [p["partNumber"] for p in multipart["uploadUrlParts"]] == [1, 2]
        etags = []
        for part, data in zip(multipart["uploadUrlParts"], parts, strict=True):
            status, etag = _put(
                storage_app, part["uploadUrl"], data, {"Content-MD5": _b64md5(data)}
            )
            assert status == 200 and etag
            etags.append((part["partNumber"], etag))
        wrong = _complete(client, key, artifact_id, node, [(1, etags[1][1]), etags[1]])
        assert wrong["errors"][0]["extensions"]["code"] == "invalid_multipart_upload"
        done = _complete(client, key, artifact_id, node, etags)
        assert "errors" not in done, done
    _upload_manifest(
        storage_app, manifest_upload,
        {"big.bin": {"digest": _b64md5(content), "size": len(content)}},
    )  # fmt: skip
    committed = gql(client, key, COMMIT, {"artifactID": artifact_id}).json
    assert "errors" not in committed, committed
    listed = client.get(
        "/api/v1/teams/lab/projects/p/artifacts/ds/versions/v0/download",
        headers={"Authorization": f"Bearer {key}"},
    ).json["items"]
    assert [(f["path"], f["size"]) for f in listed] == [("big.bin", len(content))]
    got = _get(storage_app, listed[0]["url"])
    assert hashlib.md5(got).hexdigest() == hashlib.md5(content).hexdigest()


def _get(app, url: str) -> bytes:
    if url.startswith(app.config["OUTPOST"].url):
        parts = urlsplit(url)
        response = app.test_client().get(f"{parts.path}?{parts.query}")
        data = response.get_data()
        response.close()
        return data
    return requests.get(url, timeout=30).content


def test_parts_with_other_bytes_fail_the_commit(make_app):
    storage_app = make_app()
    key = _key(storage_app)
    client = storage_app.test_client()
    parts = [b"x" * 10, b"y" * 10]
    artifact_id, manifest_upload = _start(client, key)
    node = _files_node(client, key, artifact_id, b"".join(parts), parts)
    etags = []
    for part in node["uploadMultipartUrls"]["uploadUrlParts"]:
        status, etag = _put(storage_app, part["uploadUrl"], b"z" * 10, {})
        assert status == 200
        etags.append((part["partNumber"], etag))
    bad_md5 = _put(
        storage_app, node["uploadMultipartUrls"]["uploadUrlParts"][0]["uploadUrl"], b"q",
        {"Content-MD5": _b64md5(b"not q")},
    )  # fmt: skip
    assert bad_md5[0] == 400
    assert "errors" not in _complete(client, key, artifact_id, node, etags)
    content = b"".join(parts)
    _upload_manifest(
        storage_app, manifest_upload, {"big.bin": {"digest": _b64md5(content), "size": 20}}
    )
    refused = gql(client, key, COMMIT, {"artifactID": artifact_id}).json
    assert refused["errors"][0]["extensions"]["code"] == "digest_mismatch"
    other, _ = _start(client, key, name="other")
    foreign = _complete(client, key, other, node, etags)
    assert foreign["errors"][0]["extensions"]["code"] == "invalid_storage_path"
    again, _ = _start(client, key)
    node = _files_node(client, key, again, b"".join(parts), parts)
    aborted = _complete(client, key, again, node, [], action="Abort")
    assert "errors" not in aborted, aborted
    gone = _complete(client, key, again, node, etags)
    assert gone["errors"][0]["extensions"]["code"] == "invalid_multipart_upload"


REFS = {
    "local.txt": {"digest": _b64md5(b"local"), "size": 5, "ref": "file:///data/local.txt"},
    "bucket/obj": {"digest": "0123abcd", "size": 7, "ref": "s3://bucket/obj", "extra": {}},
    "web.bin": {"digest": "https://127.0.0.1:9/web.bin", "ref": "https://127.0.0.1:9/web.bin"},
}


def test_reference_entries_commit_without_bytes_and_are_listed(make_app):
    app = make_app()
    key = _key(app)
    client = app.test_client()
    artifact_id, manifest_upload = _start(client, key)
    _upload_manifest(app, manifest_upload, REFS)
    committed = gql(client, key, COMMIT, {"artifactID": artifact_id}).json
    assert "errors" not in committed, committed
    auth = {"Authorization": f"Bearer {key}"}
    base = "/api/v1/teams/lab/projects/p/artifacts/ds/versions/v0"
    listed = client.get(f"{base}/files", headers=auth).json["items"]
    assert {f["path"]: (f["ref"], f["ref_digest"], f["size"]) for f in listed} == {
        "bucket/obj": ("s3://bucket/obj", "0123abcd", 7),
        "local.txt": ("file:///data/local.txt", _b64md5(b"local"), 5),
        "web.bin": ("https://127.0.0.1:9/web.bin", "https://127.0.0.1:9/web.bin", 0),
    }
    downloads = client.get(f"{base}/download", headers=auth).json["items"]
    assert all("url" not in f and f["ref"] for f in downloads)
    committed_id = committed["data"]["commitArtifact"]["artifact"]["id"]
    # log_artifact(...).wait() asks by the id createArtifact gave, after the commit
    by_pending = gql(
        client, key, "query A($id: ID!) { artifact(id: $id) { id } }", {"id": artifact_id}
    ).json["data"]["artifact"]
    assert by_pending == {"id": committed_id}
    nodes = gql(client, key, MEMBERSHIP_FILES, {"id": committed_id}).json["data"]["artifact"]
    urls = {e["node"]["name"]: e["node"]["directUrl"] for e in nodes["files"]["edges"]}
    assert urls == {path: entry["ref"] for path, entry in REFS.items()}  # never Outpost's


@pytest.mark.parametrize(
    "ref,code",
    [
        ("ftp://127.0.0.1/x", "reference_scheme_not_allowed"),
        ("wandb-artifact://abc/x", "reference_scheme_not_allowed"),
        ("javascript:alert(1)", "reference_scheme_not_allowed"),
        ("https://user:secret@127.0.0.1/x", "invalid_reference"),
    ],
)
def test_references_to_other_schemes_are_refused(make_app, ref, code):
    app = make_app()
    key = _key(app)
    client = app.test_client()
    artifact_id, manifest_upload = _start(client, key)
    _upload_manifest(app, manifest_upload, {"x": {"digest": "d", "size": 1, "ref": ref}})
    refused = gql(client, key, COMMIT, {"artifactID": artifact_id}).json
    assert refused["errors"][0]["extensions"]["code"] == code
    versions = client.get(
        "/api/v1/teams/lab/projects/p/artifacts/ds/versions",
        headers={"Authorization": f"Bearer {key}"},
    ).json["items"]
    assert versions == []
