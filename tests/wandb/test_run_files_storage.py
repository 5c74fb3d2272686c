"""Run files over the W&B protocol on every storage provider: URLs signed before the size is
known (``createRunFiles`` names files only), the size recorded once the client says the file
is uploaded, and downloads through the public API's ``files`` query."""

import pytest

from server.services import teams as team_service
from tests.factories import make_key, make_user, presigned
from tests.fixtures.object_storage import app_on_provider
from tests.wandb.test_protocol import gql, stream, upsert

RUN_FILES = """
query RunFiles($names: [String]) {
  project(name: "p", entityName: "lab") {
    run(name: "r1") {
      files(names: $names, first: 10) {
        edges { node { __typename name sizeBytes directUrl } }
        pageInfo { __typename hasNextPage }
      }
    }
  }
}
"""


@pytest.fixture(params=["filesystem", "s3", "gcs"])
def storage_app(request, make_app):
    return app_on_provider(request, make_app, "wandbfiles")


def test_unsized_upload_urls_then_sizes_and_downloads(storage_app):
    with storage_app.app_context():
        ada = make_user("ada")
        team_service.create_team(ada, "lab")
        key = make_key(ada)
    client = storage_app.test_client()
    assert upsert(client, key).status_code == 200
    declared = gql(
        client,
        key,
        'mutation { createRunFiles(input: {entityName: "lab", projectName: "p", runName: '
        '"r1", files: ["config.yaml", "media/plot.png"]}) { uploadHeaders files { name '
        "uploadUrl } } }",
    ).json["data"]["createRunFiles"]
    headers = dict(h.split(":", 1) for h in declared["uploadHeaders"])
    payloads = {"config.yaml": b"lr: 0.1\n", "media/plot.png": b"\x89PNG" + b"x" * 5000}
    for item in declared["files"]:
        status, _ = presigned(
            storage_app, "PUT", item["uploadUrl"], data=payloads[item["name"]], headers=headers
        )
        assert status in (200, 201, 204), item["name"]
    stream(client, key, {"files": {}, "uploaded": list(payloads)})
    found = gql(client, key, RUN_FILES).json["data"]["project"]["run"]["files"]
    assert found["pageInfo"] == {"__typename": "PageInfo", "hasNextPage": False}
    nodes = {edge["node"]["name"]: edge["node"] for edge in found["edges"]}
    assert {name: node["sizeBytes"] for name, node in nodes.items()} == {
        name: len(data) for name, data in payloads.items()
    }
    for name, data in payloads.items():
        status, body = presigned(storage_app, "GET", nodes[name]["directUrl"])
        assert (status, body) == (200, data)
    only = gql(client, key, RUN_FILES, {"names": ["config.yaml"]}).json["data"]
    assert [e["node"]["name"] for e in only["project"]["run"]["files"]["edges"]] == ["config.yaml"]
