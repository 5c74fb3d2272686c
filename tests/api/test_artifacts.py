"""Artifacts through the API: versions logged through pre-signed URLs with a plain HTTP client,
content-addressed deduplication, commit verification, ``latest`` and aliases, metadata,
deletion, error codes, and who may do what."""

import threading
import time
import uuid
from types import SimpleNamespace

import pytest

from server.extensions import db
from server.models import ArtifactFile, ArtifactVersion, AuditEvent, User
from server.services import files
from server.services.artifact_files import object_key, staging_key
from tests.artifact_support import (
    ArtifactClient,
    make_artifact_project,
    make_storage_team,
    presigned,
    sha256,
)
from tests.factories import add_member, bearer, count_queries, make_key, make_user

WEIGHTS = b"\x00\x01weights" * 500
LABELS = b"cat\ndog\n"


def _world(app, client):
    people = {name: make_user(name, password=None) for name in ("ada", "bob", "vic", "eve")}
    team = make_storage_team("lab", people["ada"])
    add_member(team, people["bob"], "member")
    add_member(team, people["vic"], "view-only")
    make_storage_team("other", people["eve"])
    make_artifact_project(team, people["bob"])
    keys = {name: make_key(user) for name, user in people.items()}
    clients = {name: ArtifactClient(app, client, key) for name, key in keys.items()}
    return SimpleNamespace(team=team, keys=keys, **clients)


@pytest.fixture
def lab(app, client):
    return _world(app, client)


def _code(response):
    return response.status_code, response.json["error"]["code"]


def test_a_version_goes_up_and_comes_back_through_presigned_urls(lab):
    assert lab.bob.create("mnist", description="digits").status_code == 201
    contents = {"model/weights.bin": WEIGHTS, "labels.txt": LABELS}
    created = lab.bob.new_version("mnist", contents, metadata={"acc": 0.98}, run_id="run-1")
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["version"], body["state"], body["aliases"]) == ("v0", "pending", [])
    assert body["size"] == len(WEIGHTS) + len(LABELS) and body["file_count"] == 2
    assert sorted(u["digest"] for u in body["uploads"]) == sorted(map(sha256, contents.values()))
    assert all(u["method"] == "PUT" and u["expires_at"].endswith("Z") for u in body["uploads"])

    lab.bob.upload(body["uploads"], contents)
    committed = lab.bob.commit("mnist", "v0")
    assert committed.status_code == 200, committed.json
    assert committed.json["state"] == "committed" and committed.json["aliases"] == ["latest"]
    assert lab.bob.download("mnist", "latest") == contents

    # The manifest is also written to the team's bucket as one JSON object.
    version = db.session.query(ArtifactVersion).one()
    assert files.stat(lab.team, version.manifest_key) is not None
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert ["artifact:create", "artifact_version:create", "artifact_version:commit"] == [
        a for a in actions if a.startswith("artifact")
    ]


def test_round_trip_on_the_s3_api_server(make_app, s3_server):
    app = make_app(
        storage_provider="s3",
        storage_endpoint=s3_server.endpoint,
        storage_access_key=s3_server.access_key,
        storage_secret_key=s3_server.secret_key,
        storage_bucket_prefix=f"art-{uuid.uuid4().hex[:8]}",
    )
    with app.app_context():
        lab = _world(app, app.test_client())
        lab.bob.create("mnist")
        contents = {"weights.bin": WEIGHTS, "nested/dir/labels.txt": LABELS}
        created = lab.bob.new_version("mnist", contents).json
        assert all(u["url"].startswith(s3_server.endpoint) for u in created["uploads"])
        lab.bob.upload(created["uploads"], contents)
        assert lab.bob.commit("mnist", "v0").status_code == 200
        assert lab.bob.download("mnist", "v0") == contents
        db.session.remove()


def test_identical_files_are_stored_once(lab):
    lab.bob.create("mnist")
    first = {"a.bin": WEIGHTS, "copy-of-a.bin": WEIGHTS, "labels.txt": LABELS}
    created = lab.bob.new_version("mnist", first).json
    # Two paths with the same content: one object, one upload.
    assert len(created["uploads"]) == 2
    shared = next(u for u in created["uploads"] if u["digest"] == sha256(WEIGHTS))
    assert sorted(shared["paths"]) == ["a.bin", "copy-of-a.bin"]
    lab.bob.upload(created["uploads"], first)
    lab.bob.commit("mnist", "v0")

    second = {"a.bin": WEIGHTS, "new.txt": b"new"}
    again = lab.bob.new_version("mnist", second).json
    assert [u["digest"] for u in again["uploads"]] == [sha256(b"new")]
    lab.bob.upload(again["uploads"], second)
    assert lab.bob.commit("mnist", "v1").status_code == 200
    assert lab.bob.download("mnist", "v1") == second
    # Another artifact of the same team shares the object too.
    lab.bob.create("other-copy")
    third = lab.bob.new_version("other-copy", {"w.bin": WEIGHTS}).json
    assert third["uploads"] == []
    keys = {row.digest for row in db.session.query(ArtifactFile)}
    assert keys == {sha256(WEIGHTS), sha256(LABELS), sha256(b"new")}


def test_commit_refuses_missing_uploads_and_the_version_stays_pending(lab):
    lab.bob.create("mnist")
    contents = {"weights.bin": WEIGHTS, "labels.txt": LABELS}
    created = lab.bob.new_version("mnist", contents).json
    lab.bob.upload(created["uploads"], contents, skip={sha256(WEIGHTS)})
    refused = lab.bob.commit("mnist", "v0")
    assert _code(refused) == (409, "upload_incomplete")
    version_id = db.session.query(ArtifactVersion).one().id
    assert refused.json["error"]["files"] == [
        {
            "key": staging_key(version_id, sha256(WEIGHTS)),
            "digest": sha256(WEIGHTS),
            "paths": ["weights.bin"],
            "problem": "missing",
        }
    ]
    version = lab.bob.call("GET", "/mnist/versions/v0").json
    assert version["state"] == "pending" and version["aliases"] == []
    assert _code(lab.bob.call("GET", "/mnist/versions/latest")) == (404, "version_not_found")
    assert _code(lab.bob.call("GET", "/mnist/versions/v0/download")) == (
        409,
        "version_not_committed",
    )

    # Fresh URLs only for what is still missing; then the commit goes through.
    again = lab.bob.call("POST", "/mnist/versions/v0/uploads")
    assert [u["digest"] for u in again.json["uploads"]] == [sha256(WEIGHTS)]
    lab.bob.upload(again.json["uploads"], contents)
    assert lab.bob.commit("mnist", "v0").json["aliases"] == ["latest"]
    # Committing again is harmless.
    assert lab.bob.commit("mnist", "v0").status_code == 200
    assert _code(lab.bob.call("POST", "/mnist/versions/v0/uploads")) == (
        409,
        "version_already_committed",
    )


def _entry(path="x", digest="a" * 64, size=1):
    return {"path": path, "digest": digest, "size": size}


BAD_MANIFESTS = [
    ([{"path": "../etc/passwd", "digest": "a" * 64, "size": 1}], "invalid_path"),
    ([{"path": "a//b", "digest": "a" * 64, "size": 1}], "invalid_path"),
    ([{"path": "x", "digest": "xyz", "size": 1}], "invalid_digest"),
    ([{"path": "x", "digest": "a" * 63, "size": 1}], "invalid_digest"),
    ([{"path": "x", "digest": "a" * 64, "size": -1}], "invalid_size"),
    ([{"path": "x", "digest": "a" * 64, "size": 6 * 1024**3}], "invalid_size"),
    ([{"path": "x", "digest": "a" * 64, "size": "12"}], "validation_failed"),
    ([{"path": "x", "digest": "a" * 64}], "validation_failed"),
    ([_entry(), _entry(digest="b" * 64, size=2)], "duplicate_path"),
    ([_entry(), _entry(path="y", size=2)], "digest_size_mismatch"),
]


@pytest.mark.parametrize("manifest, code", BAD_MANIFESTS)
def test_bad_manifests_are_refused_and_nothing_is_kept(lab, manifest, code):
    lab.bob.create("mnist")
    refused = lab.bob.call("POST", "/mnist/versions", json={"files": manifest})
    assert _code(refused) == (422, code)
    assert db.session.query(ArtifactVersion).count() == 0
    assert lab.bob.new_version("mnist", {"ok.txt": b"ok"}).json["version"] == "v0"


def test_a_digest_the_team_holds_cannot_be_given_another_size(lab):
    lab.bob.create("mnist")
    lab.bob.log("mnist", {"w.bin": WEIGHTS})
    lying = [{"path": "w.bin", "digest": sha256(WEIGHTS), "size": 3}]
    refused = lab.bob.call("POST", "/mnist/versions", json={"files": lying})
    assert _code(refused) == (422, "digest_size_mismatch")


def test_latest_follows_the_newest_committed_version_and_aliases_move(lab):
    lab.bob.create("mnist")
    lab.bob.log("mnist", {"w.bin": b"one"})
    lab.bob.log("mnist", {"w.bin": b"two"})
    pending = lab.bob.new_version("mnist", {"w.bin": b"three"}).json
    assert pending["version"] == "v2"
    assert lab.bob.call("GET", "/mnist").json["latest_version"] == "v1"
    assert lab.bob.call("GET", "/mnist/aliases/latest").json == {
        "alias": "latest",
        "version": "v1",
        "automatic": True,
    }

    put = lab.bob.call("PUT", "/mnist/aliases/best", json={"version": "v0"})
    assert put.json == {"alias": "best", "version": "v0", "previous": None}
    moved = lab.bob.call("PUT", "/mnist/aliases/best", json={"version": "latest"})
    assert moved.json == {"alias": "best", "version": "v1", "previous": "v0"}
    held = lab.bob.call("PUT", "/mnist/aliases/best", json={"version": "v0", "replace": False})
    assert _code(held) == (409, "alias_taken") and held.json["error"]["version"] == "v1"
    assert lab.bob.call("GET", "/mnist/versions/best").json["version"] == "v1"
    assert lab.bob.call("GET", "/mnist/versions/v1").json["aliases"] == ["latest", "best"]

    on_pending = lab.bob.call("PUT", "/mnist/aliases/next", json={"version": "v2"})
    assert _code(on_pending) == (409, "version_not_committed")
    for method in ("PUT", "DELETE"):
        kwargs = {"json": {"version": "v0"}} if method == "PUT" else {}
        assert _code(lab.bob.call(method, "/mnist/aliases/latest", **kwargs)) == (
            422,
            "alias_reserved",
        )
    for bad in ("v3", "-x", "a" * 65):
        assert _code(lab.bob.call("PUT", f"/mnist/aliases/{bad}", json={"version": "v0"})) == (
            422,
            "invalid_alias",
        )
    assert _code(lab.bob.call("PUT", "/mnist/aliases/x", json={"version": "v9"})) == (
        404,
        "version_not_found",
    )

    # Committing the pending version moves latest; deleting it moves latest back.
    lab.bob.upload(pending["uploads"], {"w.bin": b"three"})
    assert lab.bob.commit("mnist", "v2", aliases=["candidate"]).json["aliases"] == [
        "latest",
        "candidate",
    ]
    assert lab.bob.call("DELETE", "/mnist/versions/latest").status_code == 204
    assert lab.bob.call("GET", "/mnist").json["latest_version"] == "v1"
    assert _code(lab.bob.call("GET", "/mnist/aliases/candidate")) == (404, "alias_not_found")
    listing = lab.bob.call("GET", "/mnist/aliases").json
    assert listing == {
        "items": [{"alias": "best", "version": "v1"}],
        "next_cursor": None,
        "latest": "v1",
    }
    assert lab.bob.call("DELETE", "/mnist/aliases/best").status_code == 204
    assert _code(lab.bob.call("DELETE", "/mnist/aliases/best")) == (404, "alias_not_found")
    # Numbers are never reused.
    assert lab.bob.new_version("mnist", {"w.bin": b"four"}).json["version"] == "v3"


def test_pending_versions_are_listed_and_deleting_them_frees_their_objects(lab):
    lab.bob.create("mnist")
    lab.bob.log("mnist", {"shared.bin": WEIGHTS}, run_id="run-a")
    contents = {"shared.bin": WEIGHTS, "only-here.bin": b"mine"}
    pending = lab.bob.new_version("mnist", contents, run_id="run-b").json
    lab.bob.upload(pending["uploads"], contents)
    listing = lab.bob.call("GET", "/mnist/versions").json["items"]
    assert [(v["version"], v["state"]) for v in listing] == [("v1", "pending"), ("v0", "committed")]
    only_pending = lab.bob.call("GET", "/mnist/versions?state=pending").json["items"]
    assert [v["version"] for v in only_pending] == ["v1"]
    by_run = lab.bob.call("GET", "/mnist/versions?run_id=run-a").json["items"]
    assert [v["version"] for v in by_run] == ["v0"]

    assert lab.bob.call("DELETE", "/mnist/versions/v1").status_code == 204
    assert _code(lab.bob.call("GET", "/mnist/versions/v1")) == (404, "version_not_found")
    assert files.stat(lab.team, object_key(sha256(b"mine"))) is None
    assert files.stat(lab.team, object_key(sha256(WEIGHTS))) is not None  # v0 still uses it
    assert lab.bob.download("mnist", "v0") == {"shared.bin": WEIGHTS}


def test_deleting_an_artifact_removes_its_versions_but_keeps_shared_objects(lab):
    lab.bob.create("mnist")
    lab.bob.create("backup")
    lab.bob.log("mnist", {"w.bin": WEIGHTS, "l.txt": LABELS})
    lab.bob.log("backup", {"w.bin": WEIGHTS})
    assert lab.bob.call("DELETE", "/mnist").status_code == 204
    assert _code(lab.bob.call("GET", "/mnist")) == (404, "artifact_not_found")
    assert files.stat(lab.team, object_key(sha256(LABELS))) is None
    assert lab.bob.download("backup", "latest") == {"w.bin": WEIGHTS}
    assert [a["name"] for a in lab.bob.call("GET", "").json["items"]] == ["backup"]


def test_metadata_and_descriptions_are_editable(lab):
    lab.bob.create("mnist", type_="model")
    lab.bob.log("mnist", {"w.bin": b"w"}, metadata={"epochs": 3})
    edited = lab.bob.call("PATCH", "/mnist/versions/v0", json={"metadata": {"acc": 0.9}})
    assert edited.status_code == 200 and edited.json["metadata"] == {"acc": 0.9}
    too_big = lab.bob.call("PATCH", "/mnist/versions/v0", json={"metadata": {"x": "y" * 70_000}})
    assert _code(too_big) == (422, "metadata_too_large")
    nan = lab.bob.call(
        "PATCH",
        "/mnist/versions/v0",
        data='{"metadata": {"loss": NaN}}',
        content_type="application/json",
    )
    assert _code(nan) == (422, "invalid_number")  # refused for every JSON body
    assert lab.bob.call("GET", "/mnist/versions/v0").json["metadata"] == {"acc": 0.9}
    patched = lab.bob.call("PATCH", "/mnist", json={"description": "the model"})
    assert patched.json["description"] == "the model" and patched.json["type"] == "model"
    assert db.session.query(AuditEvent).filter_by(action="artifact_version:update").count() == 1


def test_bad_names_duplicates_and_unknown_things(lab):
    assert _code(lab.bob.create("bad name")) == (422, "invalid_artifact_name")
    assert _code(lab.bob.create("ok", type_="no spaces")) == (422, "invalid_artifact_type")
    lab.bob.create("mnist")
    assert _code(lab.bob.create("mnist")) == (409, "artifact_exists")
    assert _code(lab.bob.call("GET", "/nope/versions")) == (404, "artifact_not_found")
    assert _code(lab.bob.call("GET", "/mnist/versions/v7")) == (404, "version_not_found")
    assert _code(lab.bob.call("GET", "/mnist/aliases/none")) == (404, "alias_not_found")
    assert _code(lab.bob.call("GET", "/mnist/aliases/latest")) == (404, "alias_not_found")
    bad_run = lab.bob.new_version("mnist", {}, run_id="has space")
    assert _code(bad_run) == (422, "invalid_run_id")


def test_view_only_can_view_but_not_download_artifacts(lab):
    lab.bob.create("mnist")
    lab.bob.log("mnist", {"w.bin": WEIGHTS})
    assert lab.vic.call("GET", "/mnist/versions/v0").status_code == 200
    assert lab.vic.call("GET", "/mnist/versions/v0/files").json["items"] == [
        {"path": "w.bin", "digest": sha256(WEIGHTS), "size": len(WEIGHTS)}
    ]
    assert _code(lab.vic.call("GET", "/mnist/versions/v0/download")) == (403, "permission_denied")
    assert _code(lab.vic.create("mine")) == (403, "permission_denied")


def test_a_member_of_another_team_sees_nothing(lab):
    lab.bob.create("mnist")
    lab.bob.log("mnist", {"w.bin": WEIGHTS})
    for method, path in [
        ("GET", ""),
        ("GET", "/mnist/versions/v0"),
        ("GET", "/mnist/versions/v0/download"),
        ("GET", "/nope/versions/v0"),
        ("POST", "/mnist/versions"),
        ("DELETE", "/mnist"),
    ]:
        kwargs = {"json": {"files": []}} if method == "POST" else {}
        assert _code(lab.eve.call(method, path, **kwargs)) == (404, "project_not_found"), path


def test_an_expired_download_url_is_refused(make_app):
    app = make_app(storage_download_url_seconds=1)
    with app.app_context():
        lab = _world(app, app.test_client())
        lab.bob.create("mnist")
        lab.bob.log("mnist", {"w.bin": WEIGHTS})
        item = lab.bob.call("GET", "/mnist/versions/v0/download").json["items"][0]
        time.sleep(2.1)
        status, body = presigned(app, "GET", item["url"])
        assert status == 403 and b"url_expired" in body
        fresh = lab.bob.call("GET", "/mnist/versions/v0/download").json["items"][0]
        assert presigned(app, "GET", fresh["url"]) == (200, WEIGHTS)
        db.session.remove()


def test_concurrent_writers_get_distinct_version_numbers(app, lab):
    lab.bob.create("mnist")
    results, errors = [], []

    def log_one(n):
        try:
            client = app.test_client()
            response = client.post(
                "/api/v1/teams/lab/projects/vision/artifacts/mnist/versions",
                json={"files": [{"path": "f", "digest": sha256(bytes([n])), "size": 1}]},
                headers=bearer(lab.keys["bob"]),
            )
            results.append((response.status_code, response.json.get("version")))
        except Exception as exc:  # reported below, with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=log_one, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [(201, f"v{n}") for n in range(4)]


def _count_listing(lab, path):
    lab.vic.call("GET", path)  # the key's first use of the minute also records "last used"
    with count_queries() as seen:
        response = lab.vic.call("GET", path)
    assert response.status_code == 200
    return len(seen), len(response.json["items"])


def test_lists_cost_the_same_number_of_queries_whatever_their_length(lab):
    lab.bob.create("mnist")
    for n in range(2):
        lab.bob.log("mnist", {f"f{n}.txt": bytes([n]), "shared": b"s"})
        lab.bob.call("PUT", f"/mnist/aliases/a{n}", json={"version": f"v{n}"})
    few = {p: _count_listing(lab, p) for p in ("", "/mnist/versions", "/mnist/aliases")}
    for n in range(2, 7):
        lab.bob.create(f"more{n}")
        lab.bob.log("mnist", {f"f{n}.txt": bytes([n]), "shared": b"s"})
        lab.bob.call("PUT", f"/mnist/aliases/a{n}", json={"version": f"v{n}"})
    many = {p: _count_listing(lab, p) for p in few}
    for path in few:
        assert few[path][0] == many[path][0], path
        assert many[path][1] > few[path][1], path
    files_few = _count_listing(lab, "/mnist/versions/v0/files")
    downloads = lab.bob.call("GET", "/mnist/versions/v0/download?limit=1")
    assert downloads.json["next_cursor"] is not None and len(downloads.json["items"]) == 1
    assert files_few[1] == 2


def test_outsiders_view_artifacts_of_public_projects_but_cannot_download_or_write(app, client, lab):
    bob = db.session.query(User).filter_by(username="bob").one()
    make_artifact_project(lab.team, bob, name="open", visibility="public")
    public = ArtifactClient(app, client, lab.keys["bob"], project="open")
    public.create("mnist")
    public.log("mnist", {"w.bin": WEIGHTS})
    outsider = ArtifactClient(app, client, lab.keys["eve"], project="open")
    assert outsider.call("GET", "/mnist/versions/latest").json["version"] == "v0"
    assert _code(outsider.call("GET", "/mnist/versions/v0/download")) == (403, "permission_denied")
    assert _code(outsider.create("mine")) == (403, "permission_denied")
