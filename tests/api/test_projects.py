"""Projects through the API: visibility, overview, workspace, deletion, and who may do what."""

import pytest

from server.extensions import db
from server.models import AuditEvent, Membership, Project, User
from server.services import system_settings
from tests.factories import bearer, make_key, make_team, make_user


@pytest.fixture
def lab():
    people = {name: make_user(name) for name in ("ada", "bob", "vic", "out")}
    team = make_team(
        "lab", admins=[people["ada"]], members=[people["bob"]], viewers=[people["vic"]]
    )
    keys = {name: make_key(user) for name, user in people.items()}
    return team, keys


def _create(client, key, name="mnist", **body):
    return client.post(
        "/api/v1/teams/lab/projects", json={"name": name, **body}, headers=bearer(key)
    )


def test_a_member_creates_a_private_project_by_default(client, lab):
    _, keys = lab
    response = _create(client, keys["bob"], display_name="MNIST")
    assert response.status_code == 201, response.json
    assert response.json["visibility"] == "private"
    assert response.json["display_name"] == "MNIST"
    project = db.session.query(Project).one()
    assert project.created_by_id == db.session.query(User).filter_by(username="bob").one().id
    assert db.session.query(AuditEvent).filter_by(action="project:create").count() == 1


def test_the_default_visibility_follows_the_system_setting(client, lab):
    _, keys = lab
    system_settings.update_settings({"default_project_visibility": "public"})
    assert _create(client, keys["bob"]).json["visibility"] == "public"


@pytest.mark.parametrize(
    "who, status, code",
    [("vic", 403, "permission_denied"), ("out", 404, "team_not_found")],
)
def test_view_only_and_outsiders_cannot_create(client, lab, who, status, code):
    _, keys = lab
    response = _create(client, keys[who])
    assert response.status_code == status
    assert response.json["error"]["code"] == code


def test_bad_and_duplicate_names(client, lab):
    _, keys = lab
    assert _create(client, keys["bob"], name="-bad name").json["error"]["code"] == (
        "invalid_project_name"
    )
    assert _create(client, keys["bob"]).status_code == 201
    again = _create(client, keys["ada"])
    assert again.status_code == 409 and again.json["error"]["code"] == "project_exists"


def test_outsiders_see_public_projects_only(client, lab):
    _, keys = lab
    _create(client, keys["bob"], name="secret")
    _create(client, keys["bob"], name="open", visibility="public")
    names = lambda key: [  # noqa: E731
        p["name"]
        for p in client.get("/api/v1/teams/lab/projects", headers=bearer(key)).json["items"]
    ]
    assert names(keys["vic"]) == ["secret", "open"]
    assert names(keys["out"]) == ["open"]
    hidden = client.get("/api/v1/teams/lab/projects/secret", headers=bearer(keys["out"]))
    assert hidden.status_code == 404 and hidden.json["error"]["code"] == "project_not_found"
    shown = client.get("/api/v1/teams/lab/projects/open", headers=bearer(keys["out"]))
    assert shown.status_code == 200
    refused = client.patch(
        "/api/v1/teams/lab/projects/open", json={"overview": "x"}, headers=bearer(keys["out"])
    )
    assert refused.status_code == 403


def test_project_lists_are_paginated(client, lab):
    _, keys = lab
    for i in range(5):
        _create(client, keys["bob"], name=f"p{i}")
    first = client.get("/api/v1/teams/lab/projects?limit=2", headers=bearer(keys["bob"])).json
    assert [p["name"] for p in first["items"]] == ["p0", "p1"]
    second = client.get(
        f"/api/v1/teams/lab/projects?limit=2&cursor={first['next_cursor']}",
        headers=bearer(keys["bob"]),
    ).json
    assert [p["name"] for p in second["items"]] == ["p2", "p3"]


def test_the_overview_is_markdown_rendered_sanitised(client, lab):
    _, keys = lab
    _create(client, keys["bob"])
    response = client.patch(
        "/api/v1/teams/lab/projects/mnist",
        json={"overview": "# Results\n<script>alert(1)</script><img src=x onerror=alert(1)>"},
        headers=bearer(keys["bob"]),
    )
    assert response.status_code == 200, response.json
    html = response.json["overview_html"]
    assert "<h1>Results</h1>" in html
    assert "script" not in html and "onerror" not in html


def test_only_team_admins_change_visibility(client, lab):
    _, keys = lab
    _create(client, keys["bob"])
    url = "/api/v1/teams/lab/projects/mnist"
    by_member = client.patch(url, json={"visibility": "public"}, headers=bearer(keys["bob"]))
    assert by_member.status_code == 403
    assert by_member.json["error"]["permission"] == "team:manage_settings"
    by_admin = client.patch(url, json={"visibility": "public"}, headers=bearer(keys["ada"]))
    assert by_admin.status_code == 200 and by_admin.json["visibility"] == "public"


def test_public_projects_can_be_turned_off(client, lab):
    _, keys = lab
    system_settings.update_settings({"allow_public_projects": False})
    response = _create(client, keys["bob"], visibility="public")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "public_projects_disabled"
    assert db.session.query(Project).count() == 0


def test_workspace_read_by_viewers_written_by_members(client, lab):
    _, keys = lab
    _create(client, keys["bob"])
    url = "/api/v1/teams/lab/projects/mnist/workspace"
    layout = {"panels": [{"type": "line", "metric": "loss"}], "sections": [], "settings": {}}
    assert client.put(url, json=layout, headers=bearer(keys["vic"])).status_code == 403
    assert client.put(url, json=layout, headers=bearer(keys["bob"])).status_code == 200
    assert client.get(url, headers=bearer(keys["vic"])).json["panels"] == layout["panels"]


def test_deleting_a_project_needs_a_team_admin_and_confirmation(client, lab):
    _, keys = lab
    _create(client, keys["bob"])
    url = "/api/v1/teams/lab/projects/mnist"
    assert (
        client.delete(url, json={"confirm": "mnist"}, headers=bearer(keys["bob"])).status_code
        == 403
    )
    wrong = client.delete(url, json={"confirm": "nope"}, headers=bearer(keys["ada"]))
    assert wrong.status_code == 422 and wrong.json["error"]["code"] == "confirmation_required"
    assert (
        client.delete(url, json={"confirm": "mnist"}, headers=bearer(keys["ada"])).status_code
        == 204
    )
    assert db.session.query(Project).count() == 0


def test_service_accounts_of_other_teams_see_public_projects_only(client, lab):
    _, keys = lab
    other = make_team("other", admins=[make_user()])
    bot = User(username="other-bot", kind="service_account", service_team_id=other.id)
    db.session.add(bot)
    db.session.flush()
    db.session.add(Membership(team_id=other.id, user_id=bot.id, role="member"))
    db.session.commit()
    bot_key = make_key(bot)
    _create(client, keys["bob"], name="secret")
    _create(client, keys["bob"], name="open", visibility="public")
    assert client.get("/api/v1/teams/lab/projects/open", headers=bearer(bot_key)).status_code == 200
    assert (
        client.get("/api/v1/teams/lab/projects/secret", headers=bearer(bot_key)).status_code == 404
    )


def test_deleting_a_project_removes_the_objects_only_it_used(app, client):
    from server.services import files
    from tests.artifact_support import (
        ArtifactClient,
        make_artifact_project,
        make_storage_team,
        sha256,
    )
    from tests.factories import presigned

    ada = make_user("ada")
    team = make_storage_team("lab", ada)  # a real bucket on the embedded filesystem storage
    make_artifact_project(team, ada, "doomed")
    make_artifact_project(team, ada, "kept")
    key = make_key(ada)
    shared, only_doomed = b"shared weights", b"only in the doomed project"
    doomed = ArtifactClient(app, client, key, project="doomed")
    doomed.create("data")
    doomed.log("data", {"a.bin": shared, "b.bin": only_doomed})
    kept = ArtifactClient(app, client, key, project="kept")
    kept.create("data")
    kept.log("data", {"a.bin": shared})
    runs = "/api/v1/teams/lab/projects/doomed/runs"
    client.post(runs, json={"run_id": "r1"}, headers=bearer(key))
    upload = client.post(
        f"{runs}/r1/files", json={"path": "log.txt", "size": 2}, headers=bearer(key)
    ).json["upload"]
    presigned(app, upload["method"], upload["url"], data=b"ok", headers=upload["headers"])
    run_key = next(k for k in _object_keys(app) if k.endswith("log.txt"))

    response = client.delete(
        "/api/v1/teams/lab/projects/doomed", json={"confirm": "doomed"}, headers=bearer(key)
    )
    assert response.status_code == 204
    assert files.stat(team, run_key) is None
    assert files.stat(team, f"artifacts/sha256/{sha256(only_doomed)}") is None
    assert files.stat(team, f"artifacts/sha256/{sha256(shared)}") is not None
    assert kept.download("data", "v0") == {"a.bin": shared}


def _object_keys(app):
    from pathlib import Path

    root = Path(app.config["OUTPOST_DATA_DIR"]) / "storage"
    return [
        "/".join(path.relative_to(bucket).parts)
        for bucket in root.iterdir()
        if bucket.is_dir()
        for path in bucket.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    ]


def test_hidden_teams_and_projects_answer_exactly_like_missing_ones(client, lab):
    """An outsider cannot probe names: a private project (and everything under it) and a
    team they are not in get the same answer as names that do not exist."""
    _, keys = lab
    _create(client, keys["bob"], name="secret")

    def answer(url, name):
        response = client.get(url, headers=bearer(keys["out"]))
        error = response.json["error"]
        return response.status_code, error["code"], error["message"].replace(name, "NAME")

    project = "/api/v1/teams/lab/projects/{}"
    for suffix in ("", "/runs/r1", "/reports/1", "/artifacts/data"):
        hidden = answer(project.format("secret") + suffix, "secret")
        assert hidden == answer(project.format("no-such") + suffix, "no-such")
        assert hidden[:2] == (404, "project_not_found")
    team = "/api/v1/teams/{}/members"
    hidden = answer(team.format("lab"), "lab")
    assert hidden == answer(team.format("no-such"), "no-such")
    assert hidden[:2] == (404, "team_not_found")
