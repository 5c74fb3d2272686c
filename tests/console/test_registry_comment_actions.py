"""Console removals in the model registry and on report comments (test client, SQLite and
PostgreSQL): unlinking a model version, removing a model alias and deleting a comment each
ask first, need the CSRF token and the same permission as their REST equivalents, are
audited, and redirect after the POST; those not allowed are refused and nothing changes."""

import re

import pytest

from server.extensions import db
from server.models import AuditEvent, ModelAlias, ModelVersion, Report, ReportComment
from server.services import reports as report_service
from tests.console.data_world import BASE, seed
from tests.console.helpers import html, signed_in

MODEL = "/teams/acme/models/classifier"


@pytest.fixture
def world(app):
    return seed(app)


@pytest.fixture
def as_user(app, world):
    return lambda name: signed_in(app.test_client(), world.users[name])


def _forms(page: str) -> dict[str, str]:
    """Action → confirmation message of every confirmed form on the page."""
    found = re.findall(r'<form method="post" action="([^"]+)"[^>]*\s+data-confirm="([^"]+)"', page)
    return dict(found)


def _audited(action: str) -> int:
    return db.session.query(AuditEvent).filter_by(action=action).count()


def test_registry_removals_are_offered_only_where_allowed(as_user):
    admin = _forms(html(as_user("ada").get(MODEL)))
    assert "Unlink classifier:v0?" in admin[MODEL + "/versions/v0/unlink"]
    assert MODEL + "/aliases/production/delete" in admin
    assert MODEL + "/aliases/staging/delete" in admin
    member = _forms(html(as_user("mia").get(MODEL)))
    assert MODEL + "/aliases/staging/delete" in member
    # The protected alias (and the version it is on) stay with registry admins.
    assert MODEL + "/aliases/production/delete" not in member
    assert MODEL + "/versions/v0/unlink" not in member
    assert _forms(html(as_user("vic").get(MODEL))) == {}


def test_removing_a_model_alias(as_user):
    vic, mia = as_user("vic"), as_user("mia")
    assert vic.post(MODEL + "/aliases/staging/delete").status_code == 403
    assert mia.post(MODEL + "/aliases/production/delete").status_code == 403
    assert mia.client.post(MODEL + "/aliases/staging/delete").status_code == 400  # no CSRF token
    assert {a.alias for a in db.session.query(ModelAlias)} == {"staging", "production"}
    done = mia.post(MODEL + "/aliases/staging/delete")
    assert done.status_code == 302 and done.location.endswith(MODEL)
    assert "Alias staging removed" in html(mia.get(done.location))
    assert {a.alias for a in db.session.query(ModelAlias)} == {"production"}
    assert _audited("model_alias:delete") == 1
    assert as_user("otto").post(MODEL + "/aliases/production/delete").status_code == 404


def test_unlinking_a_model_version(as_user):
    vic, mia, ada = as_user("vic"), as_user("mia"), as_user("ada")
    assert vic.post(MODEL + "/versions/v0/unlink").status_code == 403
    assert mia.post(MODEL + "/versions/v0/unlink").status_code == 403  # protected alias on it
    assert db.session.query(ModelVersion).count() == 1 and _audited("model_version:unlink") == 0
    done = ada.post(MODEL + "/versions/v0/unlink")
    assert done.status_code == 302 and done.location.endswith(MODEL)
    assert "Unlinked classifier:v0" in html(ada.get(done.location))
    assert db.session.query(ModelVersion).count() == 0
    assert db.session.query(ModelAlias).count() == 0
    assert _audited("model_version:unlink") == 1
    # The artifact version stays.
    assert as_user("vic").get(BASE + "/artifacts/mnist/v0").status_code == 200
    missing = ada.post(MODEL + "/versions/v0/unlink")
    assert missing.status_code == 302
    assert "no version" in html(ada.get(missing.location)).lower()


def test_deleting_comments(as_user, world):
    report = db.session.query(Report).one()
    url = f"{BASE}/reports/{report.id}"
    vic, max_, ada = as_user("vic"), as_user("max"), as_user("ada")
    assert vic.post(url + "/comments", {"body": "vic was here"}).status_code == 302
    assert max_.post(url + "/comments", {"body": "max too"}).status_code == 302
    vic_id, max_id = (c.id for c in db.session.query(ReportComment).order_by(ReportComment.id))
    delete = f"{url}/comments/{{}}/delete"
    assert set(_forms(html(vic.get(url)))) >= {delete.format(vic_id)}
    assert delete.format(max_id) not in _forms(html(vic.get(url)))
    admin_forms = _forms(html(ada.get(url)))
    assert {delete.format(vic_id), delete.format(max_id)} <= set(admin_forms)
    assert "Delete this comment?" in admin_forms[delete.format(vic_id)]

    refused = max_.post(delete.format(vic_id))  # a member, not its author
    assert refused.status_code == 403
    assert as_user("otto").post(delete.format(vic_id)).status_code == 404
    assert db.session.query(ReportComment).count() == 2
    own = vic.post(delete.format(vic_id))  # view-only may delete its own
    assert own.status_code == 302 and own.location.endswith(url)
    assert "Comment deleted." in html(vic.get(own.location))
    assert ada.post(delete.format(max_id)).status_code == 302  # team admin: anyone's
    assert db.session.query(ReportComment).count() == 0
    assert _audited("report:delete_comment") == 2
    assert vic.post(delete.format(vic_id)).status_code == 404  # gone: not found
    assert report_service.comment_count(report) == 0
