"""Run files: the client declares a file, uploads its bytes straight to the team's bucket with
a pre-signed URL, and readers download them the same way; the server never carries them."""

import pytest

from server.extensions import db
from server.models import AuditEvent, RunFile
from server.services import teams as team_service
from tests.factories import (
    add_member,
    bearer,
    make_key,
    make_project,
    make_run,
    make_user,
    presigned,
)
from tests.fixtures.object_storage import app_on_provider

FILES = "/api/v1/teams/lab/projects/mnist/runs/r1/files"


@pytest.fixture(params=["filesystem", "s3"])
def storage_app(request, make_app):
    return app_on_provider(request, make_app, "runfiles")


@pytest.fixture
def lab(storage_app):
    with storage_app.app_context():
        admin, member, viewer = (make_user(n, password=None) for n in ("ada", "bob", "vic"))
        team = team_service.create_team(admin, "lab")  # provisions the team's bucket
        add_member(team, member, "member")
        add_member(team, viewer, "view-only")
        project = make_project(team, "mnist")
        make_run(project, member, "r1")
        keys = {user.username: make_key(user) for user in (admin, member, viewer)}
        yield storage_app, keys
        db.session.remove()


def test_upload_and_download_through_presigned_urls(lab):
    app, keys = lab
    client = app.test_client()
    payload = b"epoch 1 loss 0.3\n" * 100
    declared = client.post(
        FILES, json={"path": "logs/output.log", "size": len(payload)}, headers=bearer(keys["bob"])
    )
    assert declared.status_code == 201, declared.json
    upload = declared.json["upload"]
    assert upload["method"] == "PUT" and upload["expires_at"].endswith("Z")
    status, _ = presigned(app, "PUT", upload["url"], data=payload, headers=upload["headers"])
    assert status in (200, 201, 204)
    listing = client.get(FILES, headers=bearer(keys["vic"]))  # view-only may read run files
    assert listing.status_code == 200, listing.json
    [item] = listing.json["items"]
    assert item["path"] == "logs/output.log" and item["size"] == len(payload)
    status, body = presigned(app, "GET", item["download"]["url"])
    assert status == 200 and body == payload
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="run:upload_file").count() == 1


def test_declaring_again_replaces_the_size_and_bad_paths_are_refused(lab):
    app, keys = lab
    client = app.test_client()
    h = bearer(keys["bob"])
    client.post(FILES, json={"path": "model.pt", "size": 10}, headers=h)
    client.post(FILES, json={"path": "model.pt", "size": 20}, headers=h)
    assert [i["size"] for i in client.get(FILES, headers=h).json["items"]] == [20]
    for path in ("../other-team/x", "/etc/passwd", "a//b"):
        bad = client.post(FILES, json={"path": path, "size": 1}, headers=h)
        assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_path", path
    huge = client.post(FILES, json={"path": "big", "size": 6 * 1024**3}, headers=h)
    assert huge.status_code == 422 and huge.json["error"]["code"] == "file_too_large"


def test_view_only_cannot_upload_and_deleting_the_run_removes_its_objects(lab):
    app, keys = lab
    client = app.test_client()
    refused = client.post(FILES, json={"path": "x.txt", "size": 1}, headers=bearer(keys["vic"]))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "permission_denied"
    upload = client.post(
        FILES, json={"path": "x.txt", "size": 3}, headers=bearer(keys["bob"])
    ).json["upload"]
    presigned(app, "PUT", upload["url"], data=b"abc", headers=upload["headers"])
    download = client.get(FILES, headers=bearer(keys["bob"])).json["items"][0]["download"]
    deleted = client.delete(FILES.rsplit("/files", 1)[0], headers=bearer(keys["bob"]))
    assert deleted.status_code == 204
    status, _ = presigned(app, "GET", download["url"])
    # moto answers a missing key 403 (not S3's 404) once a URL carries response overrides
    assert status == 404 or (status == 403 and "X-Amz-Signature" in download["url"])
    with app.app_context():
        assert db.session.query(RunFile).count() == 0


@pytest.mark.parametrize("storage_app", ["filesystem"], indirect=True)
def test_an_upload_sent_as_a_form_body_is_stored_and_a_bad_one_keeps_the_file(lab):
    """Outpost's own signed URLs: ``curl --data-binary`` labels the bytes as a form, and a
    failed re-upload loses nothing."""
    app, keys = lab
    client = app.test_client()
    h = bearer(keys["bob"])
    upload = client.post(FILES, json={"path": "notes.txt", "size": 10}, headers=h).json["upload"]
    form = {**upload["headers"], "Content-Type": "application/x-www-form-urlencoded"}
    status, _ = presigned(app, "PUT", upload["url"], data=b"a=1&b=2\x00zz", headers=form)
    assert status in (200, 201, 204)
    short = {**form, "Content-Length": "5"}
    status, _ = presigned(app, "PUT", upload["url"], data=b"a=1&b", headers=short)
    assert status >= 400
    download = client.get(FILES, headers=h).json["items"][0]["download"]
    status, body = presigned(app, "GET", download["url"])
    assert status == 200 and body == b"a=1&b=2\x00zz"
