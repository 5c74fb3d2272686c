"""Team files through pre-signed URLs on every instance provider: a plain HTTP client uploads
and downloads, the server verifies what arrived, and keys stay inside the team's bucket."""

import pytest

from server.errors import Conflict, ValidationFailed
from server.services import files
from server.services import teams as team_service
from tests.factories import make_user, presigned
from tests.fixtures.object_storage import app_on_provider


@pytest.fixture(params=["filesystem", "s3", "gcs"])
def storage_app(request, make_app):
    return app_on_provider(request, make_app, "files-test")


def test_round_trip_through_presigned_urls(storage_app):
    with storage_app.app_context():
        admin = make_user(system_admin=True)
        team = team_service.create_team(
            admin, f"files-{storage_app.config['OUTPOST'].storage_provider}"
        )
        payload = b"weights " * 1000
        upload = files.upload_url(team, "runs/abc/model.bin", size=len(payload))
        assert upload["method"] == "PUT" and upload["expires_at"].endswith("Z")
        status, _ = presigned(
            storage_app, "PUT", upload["url"], data=payload, headers=upload["headers"]
        )
        assert status in (200, 201, 204)
        files.verify_uploaded(team, [("runs/abc/model.bin", len(payload))])
        status, body = presigned(
            storage_app, "GET", files.download_url(team, "runs/abc/model.bin")["url"]
        )
        assert status == 200 and body == payload


def test_missing_and_mis_sized_uploads_are_named(storage_app):
    with storage_app.app_context():
        admin = make_user(system_admin=True)
        team = team_service.create_team(admin, "files-verify")
        upload = files.upload_url(team, "a/b.txt", size=3)
        presigned(storage_app, "PUT", upload["url"], data=b"abc", headers=upload["headers"])
        with pytest.raises(Conflict) as refused:
            files.verify_uploaded(team, [("a/b.txt", 4), ("a/missing.txt", 1)])
        assert refused.value.code == "upload_incomplete"
        assert refused.value.details["files"] == [
            {"key": "a/b.txt", "problem": "size", "expected": 4, "found": 3},
            {"key": "a/missing.txt", "problem": "missing"},
        ]


@pytest.mark.parametrize("path", ["", "/etc/passwd", "a/../../b", "a//b", "a\\b", "a/\x00", "./x"])
def test_paths_that_could_leave_the_team_prefix_are_refused(path):
    with pytest.raises(ValidationFailed) as refused:
        files.check_relative_path(path)
    assert refused.value.code == "invalid_path"
