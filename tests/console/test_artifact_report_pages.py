"""The console's artifact, model-registry and report pages over the seeded team (test
client, SQLite and PostgreSQL): what each role sees, and that the server refuses what a
page does not offer."""

import re

import pytest

from server.extensions import db
from server.models import ArtifactAlias, ModelAlias, ModelVersion, Report, ReportComment
from tests.console.data_world import BASE, seed
from tests.console.helpers import html, signed_in

ART = BASE + "/artifacts"


@pytest.fixture
def world(app):
    return seed(app)


@pytest.fixture
def as_user(app, world):
    return lambda name: signed_in(app.test_client(), world.users[name])


def test_artifacts_by_type_versions_files_and_lineage(as_user):
    vic = as_user("vic")
    listing = html(vic.get(ART))
    assert 'data-testid="artifacts-dataset"' in listing and 'data-artifact="mnist"' in listing
    versions = html(vic.get(ART + "/mnist"))
    row = re.search(r'<tr data-version="v0">(.*?)</tr>', versions, re.S).group(1)
    assert '<span class="chip">latest</span>' in row and "/runs/r1" in row
    page = html(vic.get(ART + "/mnist/v0"))
    assert "train.csv" in page and "8 Bytes" in page
    assert "/runs/r1" in page  # logged by run r1
    assert "/files/train.csv" not in page  # view-only: no download
    assert "Set alias" not in page
    assert vic.get(ART + "/mnist/v0/files/train.csv").status_code == 403
    member = html(as_user("mia").get(ART + "/mnist/latest"))
    assert "/files/train.csv" in member and "Set alias" in member
    assert as_user("mia").get(ART + "/mnist/v0/files/train.csv").status_code == 302
    assert as_user("otto").get(ART).status_code == 404


def test_artifact_aliases_set_and_removed_by_members_only(as_user):
    mia, vic = as_user("mia"), as_user("vic")
    assert vic.post(ART + "/mnist/v0/aliases", {"alias": "best"}).status_code == 403
    done = mia.post(ART + "/mnist/v0/aliases", {"alias": "best"})
    assert done.status_code == 302 and done.location.endswith(ART + "/mnist/v0")
    assert db.session.query(ArtifactAlias).filter_by(alias="best").count() == 1
    assert vic.post(ART + "/mnist/v0/aliases/best/delete").status_code == 403
    assert mia.post(ART + "/mnist/v0/aliases/best/delete").status_code == 302
    assert db.session.query(ArtifactAlias).filter_by(alias="best").count() == 0


def test_registry_marks_protected_aliases_and_keeps_them_for_registry_admins(as_user):
    vic, mia = as_user("vic"), as_user("mia")
    assert 'data-model="classifier"' in html(vic.get("/teams/acme/models"))
    page = html(vic.get("/teams/acme/models/classifier"))
    assert 'production <span class="small">(protected)</span>' in page
    assert '<span class="chip">staging</span>' in page and "/artifacts/mnist/v0" in page
    assert "<li>ada <span" in page  # registry admins
    assert "Set an alias" not in page
    assert (
        vic.post(
            "/teams/acme/models/classifier/aliases", {"alias": "x", "version": "v0"}
        ).status_code
        == 403
    )
    assert "Set an alias" in html(mia.get("/teams/acme/models/classifier"))
    refused = mia.post(
        "/teams/acme/models/classifier/aliases", {"alias": "production", "version": "v0"}
    )
    assert refused.status_code == 403
    ok = mia.post("/teams/acme/models/classifier/aliases", {"alias": "candidate", "version": "v0"})
    assert (
        ok.status_code == 302
        and db.session.query(ModelAlias).filter_by(alias="candidate").count() == 1
    )
    linked = mia.post(
        "/teams/acme/models/classifier/versions",
        {"project": "vision", "artifact": "mnist", "version": "v0"},
    )
    assert linked.status_code == 302
    assert "already" in html(mia.get(linked.location)).lower()  # the same version twice
    assert db.session.query(ModelVersion).count() == 1
    assert as_user("otto").get("/teams/acme/models").status_code == 404


def test_reports_read_sanitised_comment_follow_and_edit(as_user):
    vic, mia, max_ = as_user("vic"), as_user("mia"), as_user("max")
    report = db.session.query(Report).one()
    url = f"{BASE}/reports/{report.id}"
    assert "Findings" in html(vic.get(BASE + "/reports"))
    page = html(vic.get(url))
    assert "<strong>falls</strong>" in page and "<script>x</script>" not in page
    assert "/edit" not in page and "/delete" not in page and "Follow" in page
    assert vic.post(url + "/comments", {"body": "Nice **work**"}).status_code == 302
    page = html(vic.get(url))  # commenting follows the report
    assert "<strong>work</strong>" in page and "1 follower<" in page and "Unfollow" in page
    assert vic.post(url + "/follow").status_code == 302
    assert "0 followers" in html(vic.get(url))
    assert db.session.query(ReportComment).count() == 1
    assert vic.get(url + "/edit").status_code == 403
    assert vic.post(f"{BASE}/reports", {"title": "Mine"}).status_code == 403
    assert max_.post(url + "/edit", {"title": "Hijack", "body": ""}).status_code == 403
    assert max_.post(url + "/delete").status_code == 403
    saved = mia.post(url + "/edit", {"title": "Findings, revised", "body": "Better."})
    assert saved.status_code == 302 and saved.location.endswith(url)
    made = max_.post(f"{BASE}/reports", {"title": "Second", "description": "", "body": "hi"})
    assert made.status_code == 302
    assert mia.post(url + "/delete").status_code == 302
    assert [r.title for r in db.session.query(Report)] == ["Second"]
    assert as_user("otto").get(url).status_code == 404


def test_reference_entries_show_their_uri_and_offer_no_download(app, world, as_user):
    from server.services import artifact_versions
    from server.services import artifacts as artifact_service

    mia = world.users["mia"]
    collection = artifact_service.load_collection(world.project, "mnist")
    uri = "s3://bucket/<b>raw</b>.csv"
    version, uploads = artifact_versions.create_version(
        mia, collection, [("raw.csv", "etag-1", 12, uri)]
    )
    assert uploads == []  # no bytes to upload for a reference
    artifact_versions.commit_version(mia, version)
    page = html(as_user("mia").get(f"{ART}/mnist/{version.label}"))
    assert "s3://bucket/&lt;b&gt;raw&lt;/b&gt;.csv" in page and "<b>raw" not in page
    assert "/files/raw.csv" not in page
    missing = as_user("mia").get(f"{ART}/mnist/{version.label}/files/raw.csv")
    assert missing.status_code == 404
