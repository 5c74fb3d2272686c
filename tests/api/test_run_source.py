"""A run's git remote and commit: given through the REST API and the W&B door (upsertBucket's
commit and repo, the uploaded wandb-metadata.json), shown on the run page with a link to the
commit on GitHub. On SQLite and PostgreSQL."""

import json

import pytest

from server.extensions import db
from server.models import Run
from server.services import run_source
from server.services import teams as team_service
from tests.factories import bearer, login, make_key, make_project, make_run, make_user, presigned
from tests.wandb.test_protocol import basic, gql

RUNS = "/api/v1/teams/lab/projects/mnist/runs"
SHA = "8D16E44463641E71E50B0F1D7C4B6A5B9C8D7E6F"

# The SDK's mutation, exactly as WANDB_PROTOCOL.md recorded it.
UPSERT_BUCKET = (
    "mutation UpsertBucket ($id: String, $name: String, $project: String, $entity: String, "
    "$groupName: String, $description: String, $displayName: String, $notes: String, "
    "$commit: String, $config: JSONString, $host: String, $debug: Boolean, $program: String, "
    "$repo: String, $jobType: String, $state: String, $sweep: String, $tags: [String!], "
    "$summaryMetrics: JSONString) {\n"
    "\tupsertBucket(input: {id:$id,name:$name,groupName:$groupName,modelName:$project,"
    "entityName:$entity,description:$description,displayName:$displayName,notes:$notes,"
    "config:$config,commit:$commit,host:$host,debug:$debug,jobProgram:$program,jobRepo:$repo,"
    "jobType:$jobType,state:$state,sweep:$sweep,tags:$tags,summaryMetrics:$summaryMetrics}) {\n"
    "\t\tbucket {\n\t\t\tid\n\t\t\tname\n\t\t\tdisplayName\n\t\t\tdescription\n\t\t\tconfig\n"
    "\t\t\tsweepName\n\t\t\tproject {\n\t\t\t\tid\n\t\t\t\tname\n\t\t\t\tentity {\n\t\t\t\t\tid\n"
    "\t\t\t\t\tname\n\t\t\t\t}\n\t\t\t}\n\t\t\thistoryLineCount\n\t\t}\n\t\tinserted\n\t}\n}\n"
)


@pytest.fixture
def lab(app):
    ada = make_user("ada")
    team = team_service.create_team(ada, "lab")
    project = make_project(team, "mnist", created_by=ada)
    return {"user": ada, "team": team, "project": project, "key": make_key(ada)}


def _run(run_id):
    db.session.expire_all()
    return db.session.query(Run).filter_by(run_id=run_id).one()


@pytest.mark.parametrize(
    "given, stored",
    [
        ("https://github.com/acme/vision.git", "https://github.com/acme/vision"),
        (
            "https://x-access-token:ghs_secret@github.com/acme/vision",
            "https://github.com/acme/vision",
        ),
        ("git@github.com:acme/vision.git", "https://github.com/acme/vision"),
        ("ssh://git@github.com/acme/vision.git", "https://github.com/acme/vision"),
        (
            "https://oauth2:glpat-secret@gitlab.example.com/ml/vision.git",
            "https://gitlab.example.com/ml/vision.git",
        ),
        ("git@gitlab.example.com:ml/vision.git", "git@gitlab.example.com:ml/vision.git"),
        (
            "ssh://deploy:pw@git.example.com:2222/ml/vision",
            "ssh://deploy@git.example.com:2222/ml/vision",
        ),
    ],
)
def test_remotes_are_stored_without_credentials_and_github_as_its_web_address(app, given, stored):
    assert run_source.clean_remote(given) == stored


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "javascript:alert//x",
        "javascript:x/y",
        "git@github.com:acme/../vision",
        "file:///etc/passwd",
        "https://github.com/a b",
        "not a remote",
        "ftp://example.com/repo",
        "https://example.com/a?x=1",
        "",
        "x" * 600,
    ],
)
def test_other_remotes_are_refused(bad):
    assert run_source.parse_remote(bad) is None


def test_a_run_started_through_rest_keeps_its_remote_and_commit(client, lab):
    body = {"run_id": "r1", "git_remote": "git@github.com:acme/vision.git", "git_commit": SHA}
    response = client.post(RUNS, json=body, headers=bearer(lab["key"]))
    assert response.status_code == 201, response.json
    assert response.json["git_remote"] == "https://github.com/acme/vision"
    assert response.json["git_commit"] == SHA.lower()
    fetched = client.get(f"{RUNS}/r1", headers=bearer(lab["key"])).json
    assert (fetched["git_remote"], fetched["git_commit"]) == (
        "https://github.com/acme/vision",
        SHA.lower(),
    )


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("git_commit", "abc12", "invalid_git_commit"),
        ("git_commit", "not-hex-at-all", "invalid_git_commit"),
        ("git_remote", "javascript:alert(1)", "invalid_git_remote"),
        ("git_remote", "https://github.com/acme/vision?token=x", "invalid_git_remote"),
    ],
)
def test_a_bad_remote_or_commit_is_refused_and_no_run_is_made(client, lab, field, value, code):
    response = client.post(RUNS, json={"run_id": "r1", field: value}, headers=bearer(lab["key"]))
    assert response.status_code == 422
    assert response.json["error"]["code"] == code
    assert db.session.query(Run).count() == 0


def test_an_update_sets_the_commit_and_a_bad_one_changes_nothing(client, lab):
    client.post(RUNS, json={"run_id": "r1"}, headers=bearer(lab["key"]))
    bad = client.patch(
        f"{RUNS}/r1", json={"git_commit": "zzzzzzz", "name": "x"}, headers=bearer(lab["key"])
    )
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_git_commit"
    assert _run("r1").name == "r1"
    good = client.patch(
        f"{RUNS}/r1",
        json={"git_commit": "abcdef1", "git_remote": "https://github.com/acme/vision"},
        headers=bearer(lab["key"]),
    )
    assert good.status_code == 200 and good.json["git_commit"] == "abcdef1"


def test_the_w_and_b_sdk_mutation_records_commit_and_repo(client, lab):
    variables = {
        "name": "w1",
        "project": "mnist",
        "entity": "lab",
        "commit": SHA,
        "repo": "https://github.com/acme/vision.git",
        "host": "vm",
    }
    response = gql(client, lab["key"], UPSERT_BUCKET, variables, "UpsertBucket")
    assert response.status_code == 200 and "errors" not in response.json, response.json
    run = _run("w1")
    assert (run.git_remote, run.git_commit) == ("https://github.com/acme/vision", SHA.lower())
    read = gql(
        client,
        lab["key"],
        '{ project(name: "mnist", entityName: "lab") { run(name: "w1") { commit } } }',
    )
    assert read.json["data"]["project"]["run"]["commit"] == SHA.lower()


def test_an_odd_repo_from_the_sdk_is_left_out_and_the_run_still_starts(client, lab):
    variables = {
        "name": "w2",
        "project": "mnist",
        "entity": "lab",
        "commit": "dirty",
        "repo": "/home/me/code",
    }
    response = gql(client, lab["key"], UPSERT_BUCKET, variables, "UpsertBucket")
    assert response.json["data"]["upsertBucket"]["inserted"] is True
    run = _run("w2")
    assert (run.git_remote, run.git_commit) == (None, None)


def _upload_metadata(app, client, key, run_id, metadata):
    declared = gql(
        client,
        key,
        'mutation { createRunFiles(input: {entityName: "lab", projectName: "mnist", runName: '
        f'"{run_id}", files: ["wandb-metadata.json"]}}) {{ uploadHeaders files {{ name '
        "uploadUrl } } }",
    ).json["data"]["createRunFiles"]
    headers = dict(h.split(":", 1) for h in declared["uploadHeaders"])
    data = json.dumps(metadata).encode()
    status, _ = presigned(app, "PUT", declared["files"][0]["uploadUrl"], data=data, headers=headers)
    assert status in (200, 201, 204)
    response = client.post(
        f"/files/lab/mnist/{run_id}/file_stream",
        json={"files": {}, "uploaded": ["wandb-metadata.json"]},
        headers=basic(key),
    )
    assert response.status_code == 200, response.json


def test_the_git_section_of_wandb_metadata_fills_what_upsert_did_not_send(app, client, lab):
    gql(
        client,
        lab["key"],
        UPSERT_BUCKET,
        {"name": "w3", "project": "mnist", "entity": "lab"},
        "UpsertBucket",
    )
    metadata = {"os": "Linux", "git": {"remote": "git@github.com:acme/vision.git", "commit": SHA}}
    _upload_metadata(app, client, lab["key"], "w3", metadata)
    run = _run("w3")
    assert (run.git_remote, run.git_commit) == ("https://github.com/acme/vision", SHA.lower())


def test_a_malformed_metadata_file_leaves_the_run_as_it_is(app, client, lab):
    gql(
        client,
        lab["key"],
        UPSERT_BUCKET,
        {"name": "w4", "project": "mnist", "entity": "lab"},
        "UpsertBucket",
    )
    _upload_metadata(app, client, lab["key"], "w4", ["not", "an", "object"])
    assert _run("w4").git_commit is None


def _page(client, run_id):
    return client.get(f"/teams/lab/projects/mnist/runs/{run_id}").get_data(as_text=True)


def test_the_run_page_links_to_the_commit_on_github(client, lab):
    make_run(
        lab["project"],
        lab["user"],
        "r1",
        git_remote="https://github.com/acme/vision",
        git_commit=SHA.lower(),
    )
    login(client, "ada")
    page = _page(client, "r1")
    assert f'href="https://github.com/acme/vision/commit/{SHA.lower()}"' in page
    assert 'href="https://github.com/acme/vision"' in page


def test_another_https_remote_links_to_the_repository_only(client, lab):
    make_run(
        lab["project"],
        lab["user"],
        "r2",
        git_remote="https://gitlab.example.com/ml/vision",
        git_commit="abcdef1",
    )
    make_run(lab["project"], lab["user"], "r3", git_remote="git@gitlab.example.com:ml/vision.git")
    login(client, "ada")
    page = _page(client, "r2")
    assert 'href="https://gitlab.example.com/ml/vision"' in page and "/commit/" not in page
    assert "abcdef1" in page
    page = _page(client, "r3")
    assert "git@gitlab.example.com:ml/vision.git" in page
    assert 'href="git@' not in page and "gitlab.example.com/ml" not in page.split("run-source")[0]


def test_a_stored_remote_of_another_scheme_is_never_a_link(client, lab):
    # Written around the service (an old row, a hand edit): the page still builds no link.
    make_run(
        lab["project"],
        lab["user"],
        "r4",
        git_remote="javascript:alert(1)//github.com/a/b",
        git_commit="abcdef1",
    )
    login(client, "ada")
    page = _page(client, "r4")
    assert "javascript:alert(1)" in page  # shown as text
    assert 'href="javascript' not in page and "/commit/abcdef1" not in page


def test_a_run_without_source_shows_no_code_row(client, lab):
    make_run(lab["project"], lab["user"], "r5")
    login(client, "ada")
    assert 'data-testid="run-source"' not in _page(client, "r5")


def test_a_github_enterprise_remote_links_when_the_connection_names_that_server(make_app):
    app = make_app(
        github_client_id="outpost",
        github_authorize_url="https://ghe.corp.example/login/oauth/authorize",
    )
    with app.app_context():
        assert run_source.clean_remote("git@ghe.corp.example:ml/vision.git") == (
            "https://ghe.corp.example/ml/vision"
        )
        run = Run(git_remote="https://ghe.corp.example/ml/vision", git_commit="abcdef1")
        source = run_source.links(run)
        assert source.commit_url == "https://ghe.corp.example/ml/vision/commit/abcdef1"
