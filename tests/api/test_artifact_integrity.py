"""Artifact bytes are checked at commit and cannot change after it (issue 12 #2), on the
filesystem storage, S3 (moto) and GCS (fake-gcs-server).

Attacks reproduced through the API and the pre-signed URLs a client gets: bytes that do not
match the declared sha256 (same size, so only their content differs), a later version
deduplicated onto such bytes, and an upload URL used again after commit."""

import uuid

import pytest

from server.extensions import db
from server.models import ArtifactVersion
from server.services import files
from server.services.artifact_files import object_key, staging_key
from tests.artifact_support import (
    ArtifactClient,
    make_artifact_project,
    make_storage_team,
    presigned,
    sha256,
)
from tests.factories import add_member, make_key, make_user

GOOD = b"genuine weights " * 1024
BAD = b"planted weights " * 1024  # same size, other bytes


@pytest.fixture(params=["filesystem", "s3", "gcs"])
def bob(request, make_app):
    prefix = f"integ-{uuid.uuid4().hex[:8]}"
    if request.param == "s3":
        s3 = request.getfixturevalue("s3_server")
        settings = {
            "storage_provider": "s3",
            "storage_endpoint": s3.endpoint,
            "storage_access_key": s3.access_key,
            "storage_secret_key": s3.secret_key,
        }
    elif request.param == "gcs":
        gcs = request.getfixturevalue("gcs_emulator_env")
        settings = {"storage_provider": "gcs", "storage_endpoint": gcs.endpoint}
    else:
        settings = {}
    app = make_app(storage_bucket_prefix=prefix, **settings)
    with app.app_context():
        ada, member = make_user("ada", password=None), make_user("bob", password=None)
        team = make_storage_team("lab", ada)
        add_member(team, member, "member")
        make_artifact_project(team, member)
        client = ArtifactClient(app, app.test_client(), make_key(member))
        client.team = team
        yield client
        db.session.remove()


def _put(bob, upload: dict, data: bytes) -> int:
    status, _ = presigned(bob.app, "PUT", upload["url"], data=data, headers=upload["headers"])
    return status


def test_bytes_that_do_not_match_their_digest_never_commit(bob):
    bob.create("model")
    created = bob.new_version("model", {"w.bin": GOOD})
    assert created.status_code == 201, created.json
    [upload] = created.json["uploads"]
    assert _put(bob, upload, BAD) in (200, 201, 204)

    refused = bob.commit("model", "v0", aliases=["production"])
    assert refused.status_code == 409, refused.json
    error = refused.json["error"]
    assert error["code"] == "digest_mismatch"
    [problem] = error["files"]
    assert problem["digest"] == sha256(GOOD) and problem["found"] == sha256(BAD)
    assert problem["paths"] == ["w.bin"] and problem["problem"] == "digest"
    # Nothing committed: no alias, no latest, no bytes at the content address.
    shown = bob.call("GET", "/model/versions/v0").json
    assert shown["state"] == "pending" and shown["aliases"] == []
    assert bob.call("GET", "/model/versions/latest").status_code == 404
    assert files.stat(bob.team, object_key(sha256(GOOD))) is None

    # A later version declaring the genuine digest is not deduplicated onto anything.
    later = bob.new_version("model", {"copy.bin": GOOD}).json
    assert [u["digest"] for u in later["uploads"]] == [sha256(GOOD)]

    # The refused upload was discarded: a fresh URL, the right bytes, and the commit passes.
    again = bob.call("POST", "/model/versions/v0/uploads").json["uploads"]
    assert [u["digest"] for u in again] == [sha256(GOOD)]
    assert _put(bob, again[0], GOOD) in (200, 201, 204)
    committed = bob.commit("model", "v0", aliases=["production"])
    assert committed.status_code == 200, committed.json
    assert bob.download("model", "production") == {"w.bin": GOOD}


def test_an_upload_url_used_again_after_commit_does_not_change_the_version(bob):
    bob.create("model")
    created = bob.new_version("model", {"w.bin": GOOD}).json
    [upload] = created["uploads"]
    assert _put(bob, upload, GOOD) in (200, 201, 204)
    assert bob.commit("model", "v0", aliases=["production"]).status_code == 200

    _put(bob, upload, BAD)  # the 24-hour URL, used again after commit

    assert bob.download("model", "production") == {"w.bin": GOOD}
    # A new version sharing the file is deduplicated onto the verified bytes only.
    shared = bob.new_version("model", {"again.bin": GOOD}).json
    assert shared["uploads"] == []
    assert bob.commit("model", "v1").status_code == 200
    assert bob.download("model", "v1") == {"again.bin": GOOD}
    digest = db.session.query(ArtifactVersion).filter_by(version=0).one().digest
    assert bob.call("GET", "/model/versions/production").json["digest"] == digest


def test_a_missing_or_short_upload_is_upload_incomplete_before_anything_is_read(bob):
    bob.create("model")
    [upload] = bob.new_version("model", {"w.bin": GOOD}).json["uploads"]
    refused = bob.commit("model", "v0")
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "upload_incomplete")
    assert refused.json["error"]["files"][0]["problem"] == "missing"
    assert bob.call("GET", "/model/versions/v0").json["state"] == "pending"


def test_deleting_a_pending_version_removes_its_staged_uploads(bob):
    bob.create("model")
    created = bob.new_version("model", {"w.bin": GOOD}).json
    assert _put(bob, created["uploads"][0], GOOD) in (200, 201, 204)
    version_id = db.session.query(ArtifactVersion).one().id
    assert files.stat(bob.team, staging_key(version_id, sha256(GOOD))) is not None
    assert bob.call("DELETE", "/model/versions/v0").status_code == 204
    assert files.stat(bob.team, staging_key(version_id, sha256(GOOD))) is None
