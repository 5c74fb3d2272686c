"""Artifacts over the W&B protocol in process, on filesystem and S3 storage: a file whose bytes
do not match the client's base64 MD5 stops the commit; the right bytes let it commit."""

import base64
import hashlib
import json

import pytest

from server.services import teams as team_service
from tests.factories import make_key, make_user, presigned
from tests.fixtures.object_storage import app_on_provider
from tests.wandb.test_protocol import gql

CREATE = """
mutation CreateArtifact($input: CreateArtifactInput!) {
  createArtifact(input: $input) { artifact { id state } }
}
"""
MANIFEST = """
mutation CreateArtifactManifest($artifactID: ID!) {
  createArtifactManifest(input: {artifactID: $artifactID, name: "wandb_manifest.json",
      digest: "", entityName: "lab", projectName: "p", runName: "r", type: FULL}) {
    artifactManifest { id file { id uploadUrl uploadHeaders } }
  }
}
"""
FILES = """
mutation CreateArtifactFiles($input: CreateArtifactFilesInput!) {
  createArtifactFiles(input: $input) {
    files { edges { node { storagePath uploadUrl uploadHeaders } } }
  }
}
"""
COMMIT = """
mutation CommitArtifact($artifactID: ID!) {
  commitArtifact(input: {artifactID: $artifactID}) { artifact { id digest } }
}
"""


@pytest.fixture(params=["filesystem", "s3"])
def storage_app(request, make_app):
    return app_on_provider(request, make_app, "wandb-art")


def _put(app, url, data, headers=()):
    status, _ = presigned(
        app, "PUT", url, data=data, headers=dict(h.split(":", 1) for h in headers)
    )
    assert status in (200, 201, 204)


def test_commit_checks_the_md5_of_every_file(storage_app):
    with storage_app.app_context():
        ada = make_user("ada")
        team_service.create_team(ada, "lab")
        key = make_key(ada)
        from server.services.teams import load_team
        from tests.factories import make_project

        make_project(load_team("lab"), "p", created_by=ada)
    client = storage_app.test_client()
    content = b"hello artifact\n"
    md5 = base64.b64encode(hashlib.md5(content).digest()).decode()
    created = gql(
        client,
        key,
        CREATE,
        {
            "input": {
                "entityName": "lab",
                "projectName": "p",
                "artifactCollectionName": "ds",
                "artifactTypeName": "dataset",
                "aliases": [{"alias": "latest"}, {"alias": "best"}],
                "metadata": json.dumps({"rows": 1}),
            }
        },
    ).json["data"]["createArtifact"]["artifact"]
    assert created["state"] == "PENDING"
    artifact_id = created["id"]
    manifest = gql(client, key, MANIFEST, {"artifactID": artifact_id}).json["data"]
    upload = manifest["createArtifactManifest"]["artifactManifest"]["file"]
    spec = {"artifactID": artifact_id, "name": "data.txt", "md5": md5}
    node = gql(client, key, FILES, {"input": {"artifactFiles": [spec]}}).json["data"][
        "createArtifactFiles"
    ]["files"]["edges"][0]["node"]
    _put(storage_app, node["uploadUrl"], b"tampered bytes!", node["uploadHeaders"])
    body = {"contents": {"data.txt": {"digest": md5, "size": len(content)}}}
    _put(storage_app, upload["uploadUrl"], json.dumps(body).encode(), upload["uploadHeaders"])
    refused = gql(client, key, COMMIT, {"artifactID": artifact_id}).json
    assert refused["data"]["commitArtifact"] is None
    assert refused["errors"][0]["extensions"]["code"] == "digest_mismatch"
    _put(storage_app, node["uploadUrl"], content, node["uploadHeaders"])
    committed = gql(client, key, COMMIT, {"artifactID": artifact_id}).json
    assert committed["data"]["commitArtifact"]["artifact"]["digest"], committed
    versions = client.get(
        "/api/v1/teams/lab/projects/p/artifacts/ds/versions",
        headers={"Authorization": f"Bearer {key}"},
    ).json["items"]
    assert [(v["version"], v["state"]) for v in versions] == [("v1", "committed")]
    assert set(versions[0]["aliases"]) == {"latest", "best"}
    assert versions[0]["metadata"] == {"rows": 1} and versions[0]["file_count"] == 1
