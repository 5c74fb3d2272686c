"""``useArtifact`` over the W&B protocol in process (SQLite and PostgreSQL): the mutation as
wandb-core sends it (text from WANDB_PROTOCOL.md) and as the Python SDK sends it records the
use once, through the same services as REST; who may not log to the run, or may not read the
artifact, gets a GraphQL error and nothing is written."""

import base64

import pytest

from server.extensions import db
from server.models import RunArtifactUse
from tests.artifact_support import ArtifactClient, make_artifact_project, make_storage_team
from tests.factories import add_member, bearer, make_key, make_user
from tests.wandb.test_protocol import gql, upsert

# wandb-core 0.31.0, verbatim from WANDB_PROTOCOL.md §6.
CORE_USE = """mutation UseArtifact ($input: UseArtifactInput!) {
	useArtifact(input: $input) {
		artifact {
			id
		}
	}
}"""
# The Python SDK's record_artifact_use (wandb 0.31.0, sdk/artifacts/_gqlutils.py).
PYTHON_USE = """
        mutation UseArtifact($entityName: String!, $projectName: String!, $runName: String!, $artifactID: ID!) {
            useArtifact(input: {entityName: $entityName, projectName: $projectName, runName: $runName, artifactID: $artifactID}) {
                artifact {
                    id
                    digest
                    description
                    state
                    createdAt
                    metadata
                }
            }
        }
        """  # noqa: E501


def artifact_id(path: str) -> str:
    return base64.b64encode(f"Artifact:{path}".encode()).decode()


@pytest.fixture
def lab(app, client):
    ada, bob, vic, eve = (make_user(n, password=None) for n in ("ada", "bob", "vic", "eve"))
    team = make_storage_team("lab", ada)
    add_member(team, bob, "member")
    add_member(team, vic, "view-only")
    other = make_storage_team("other", eve)
    make_artifact_project(team, bob, "p")
    make_artifact_project(other, eve, "secret")
    make_artifact_project(other, eve, "shared", visibility="public")
    keys = {user.username: make_key(user) for user in (ada, bob, vic, eve)}
    mine = ArtifactClient(app, client, keys["bob"], project="p")
    mine.create("ds")
    mine.log("ds", {"train.txt": b"hello"})
    for project in ("secret", "shared"):
        theirs = ArtifactClient(app, client, keys["eve"], team="other", project=project)
        theirs.create("weights", type_="model")
        theirs.log("weights", {"w.bin": b"\x00"})
    assert upsert(client, keys["bob"], run="r1", project="p").status_code == 200
    return keys


def use(client, key, path, query=CORE_USE, run="r1"):
    fields = {"entityName": "lab", "projectName": "p", "runName": run}
    fields["artifactID"] = artifact_id(path)
    if query is CORE_USE:
        return gql(client, key, query, {"input": fields}, "UseArtifact")
    return gql(client, key, query, fields)


def used(client, key):
    response = client.get(
        "/api/v1/teams/lab/projects/p/runs/r1/used-artifacts", headers=bearer(key)
    )
    return [(i["team"], i["project"], i["artifact"], i["version"]) for i in response.json["items"]]


def test_core_mutation_records_the_use_once(client, lab):
    first = use(client, lab["bob"], "lab/p/ds:v0")
    assert first.status_code == 200 and "errors" not in first.json, first.json
    assert first.json["data"]["useArtifact"]["artifact"]["id"] == artifact_id("lab/p/ds:v0")
    assert use(client, lab["bob"], "lab/p/ds:v0").json["data"]["useArtifact"]["artifact"]
    assert used(client, lab["ada"]) == [("lab", "p", "ds", "v0")]


def test_python_sdk_mutation_records_another_teams_public_artifact(client, lab):
    response = use(client, lab["bob"], "other/shared/weights:v0", query=PYTHON_USE)
    assert "errors" not in response.json, response.json
    artifact = response.json["data"]["useArtifact"]["artifact"]
    assert artifact["state"] == "COMMITTED" and len(artifact["digest"]) == 64
    assert used(client, lab["bob"]) == [("other", "shared", "weights", "v0")]


@pytest.mark.parametrize(
    "who, path, code",
    [
        ("vic", "lab/p/ds:v0", "permission_denied"),  # view-only: may not log to the run
        ("eve", "lab/p/ds:v0", "project_not_found"),  # outsider: the run's project is hidden
        ("bob", "other/secret/weights:v0", "project_not_found"),  # another team's private one
        ("bob", "lab/p/ds:v7", "version_not_found"),
    ],
)
def test_refused_uses_write_nothing(client, lab, who, path, code):
    response = use(client, lab[who], path)
    assert response.json["data"]["useArtifact"] is None
    assert response.json["errors"][0]["extensions"]["code"] == code
    assert db.session.query(RunArtifactUse).count() == 0


def test_a_pending_artifact_id_is_not_a_use(client, lab):
    pending = base64.b64encode(b"PendingArtifact:forged").decode()
    fields = {"entityName": "lab", "projectName": "p", "runName": "r1", "artifactID": pending}
    response = gql(client, lab["bob"], CORE_USE, {"input": fields}, "UseArtifact")
    assert response.json["errors"][0]["extensions"]["code"] == "invalid_id"
    assert db.session.query(RunArtifactUse).count() == 0
