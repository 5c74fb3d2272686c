"""Reports through the API: Markdown rendered sanitised, ownership, follow, comments."""

from types import SimpleNamespace

import pytest

from server.extensions import db
from server.models import AuditEvent, Project, Report, ReportComment
from tests.factories import (
    bearer,
    count_queries,
    make_key,
    make_project,
    make_report,
    make_team,
    make_user,
)

REPORTS = "/api/v1/teams/lab/projects/mnist/reports"
EVIL = (
    "# Results\n<script>alert(1)</script><img src=x onerror=alert(1)>\n\n"
    '[x](javascript:alert(1)) <a href="javascript:alert(2)">y</a>'
)


@pytest.fixture
def lab():
    people = {name: make_user(name, password=None) for name in ("ada", "bob", "cat", "vic", "out")}
    team = make_team(
        "lab",
        admins=[people["ada"]],
        members=[people["bob"], people["cat"]],
        viewers=[people["vic"]],
    )
    project = make_project(team, "mnist")
    make_project(team, "open", visibility="public")
    keys = {name: make_key(user) for name, user in people.items()}
    return SimpleNamespace(team=team, project=project, people=people, keys=keys)


def _h(lab, who):
    return bearer(lab.keys[who])


def _safe(html):
    return "<script" not in html and "onerror" not in html and 'href="javascript' not in html


def test_a_member_writes_a_report_rendered_sanitised(client, lab):
    response = client.post(
        REPORTS, json={"title": "Ablation", "body": EVIL}, headers=_h(lab, "bob")
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["created_by"] == "bob" and body["body"] == EVIL
    assert "<h1>Results</h1>" in body["body_html"] and _safe(body["body_html"])
    assert body["following"] is True and body["followers"] == 1  # authors follow their reports
    shown = client.get(f"{REPORTS}/{body['id']}", headers=_h(lab, "vic"))
    assert shown.status_code == 200 and shown.json["following"] is False
    assert db.session.query(AuditEvent).filter_by(action="report:create").count() == 1


def test_view_only_can_comment_but_not_create_reports(client, lab):
    report = make_report(lab.project, lab.people["bob"])
    refused = client.post(REPORTS, json={"title": "Mine"}, headers=_h(lab, "vic"))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "permission_denied"
    followed = client.post(f"{REPORTS}/{report.id}/follow", headers=_h(lab, "vic"))
    assert followed.status_code == 200 and followed.json == {"following": True, "followers": 1}
    comment = client.post(
        f"{REPORTS}/{report.id}/comments", json={"body": EVIL}, headers=_h(lab, "vic")
    )
    assert comment.status_code == 201, comment.json
    assert comment.json["author"] == "vic" and _safe(comment.json["body_html"])
    # Commenting makes the author a follower.
    client.post(f"{REPORTS}/{report.id}/comments", json={"body": "me too"}, headers=_h(lab, "cat"))
    assert client.get(f"{REPORTS}/{report.id}", headers=_h(lab, "cat")).json["following"] is True
    assert db.session.query(AuditEvent).filter_by(action="report:comment").count() == 2


def test_members_edit_and_delete_their_own_reports_admins_any(client, lab):
    report = make_report(lab.project, lab.people["bob"])
    url = f"{REPORTS}/{report.id}"
    for who in ("cat", "vic"):
        edit = client.patch(url, json={"title": "Hijacked"}, headers=_h(lab, who))
        assert edit.status_code == 403 and edit.json["error"]["permission"] == "report:edit"
        delete = client.delete(url, headers=_h(lab, who))
        assert delete.status_code == 403 and delete.json["error"]["permission"] == "report:delete"
    own = client.patch(url, json={"body": "**bold**"}, headers=_h(lab, "bob"))
    assert own.status_code == 200 and own.json["body_html"] == "<p><strong>bold</strong></p>\n"
    by_admin = client.patch(url, json={"title": "Final"}, headers=_h(lab, "ada"))
    assert by_admin.json["title"] == "Final" and by_admin.json["updated_by"] == "ada"
    assert by_admin.json["created_by"] == "bob"
    blank = client.patch(url, json={"title": "  "}, headers=_h(lab, "bob"))
    assert blank.status_code == 422 and blank.json["error"]["code"] == "invalid_title"
    assert client.delete(url, headers=_h(lab, "ada")).status_code == 204
    missing = client.get(url, headers=_h(lab, "bob"))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "report_not_found"


def test_follow_and_unfollow_are_idempotent(client, lab):
    report = make_report(lab.project, lab.people["bob"])
    url = f"{REPORTS}/{report.id}/follow"
    for _ in range(2):
        assert client.post(url, headers=_h(lab, "cat")).json["followers"] == 1
    for _ in range(2):
        gone = client.delete(url, headers=_h(lab, "cat"))
        assert gone.status_code == 200 and gone.json == {"following": False, "followers": 0}
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions.count("report:follow") == 1 and actions.count("report:unfollow") == 1


def test_comments_are_deleted_by_their_author_or_a_team_admin(client, lab):
    report = make_report(lab.project, lab.people["bob"])
    url = f"{REPORTS}/{report.id}/comments"
    ids = [
        client.post(url, json={"body": f"by {who}"}, headers=_h(lab, who)).json["id"]
        for who in ("vic", "cat", "cat")
    ]
    # Not even the report's author may delete someone else's comment.
    refused = client.delete(f"{url}/{ids[0]}", headers=_h(lab, "bob"))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "permission_denied"
    assert client.delete(f"{url}/{ids[0]}", headers=_h(lab, "vic")).status_code == 204
    assert client.delete(f"{url}/{ids[1]}", headers=_h(lab, "ada")).status_code == 204
    missing = client.delete(f"{url}/{ids[1]}", headers=_h(lab, "ada"))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "comment_not_found"
    left = client.get(url, headers=_h(lab, "vic")).json["items"]
    assert [(c["id"], c["author"]) for c in left] == [(ids[2], "cat")]
    empty = client.post(url, json={"body": "   "}, headers=_h(lab, "vic"))
    assert empty.status_code == 422 and empty.json["error"]["code"] == "invalid_comment"


def test_reports_in_public_projects_are_readable_by_everyone_but_not_commentable(client, lab):
    open_project = db.session.query(Project).filter_by(name="open").one()
    report = make_report(open_project, lab.people["bob"])
    base = "/api/v1/teams/lab/projects/open/reports"
    shown = client.get(f"{base}/{report.id}", headers=_h(lab, "out"))
    assert shown.status_code == 200
    refused = client.post(
        f"{base}/{report.id}/comments", json={"body": "hi"}, headers=_h(lab, "out")
    )
    assert refused.status_code == 403
    private = client.get(REPORTS, headers=_h(lab, "out"))
    assert private.status_code == 404 and private.json["error"]["code"] == "project_not_found"


def test_a_removed_members_reports_and_comments_remain_attributed(client, lab):
    report = make_report(lab.project, lab.people["cat"])
    client.post(f"{REPORTS}/{report.id}/comments", json={"body": "x"}, headers=_h(lab, "cat"))
    removed = client.delete("/api/v1/teams/lab/members/cat", headers=_h(lab, "ada"))
    assert removed.status_code == 204
    shown = client.get(f"{REPORTS}/{report.id}", headers=_h(lab, "ada")).json
    assert shown["created_by"] == "cat"
    comments = client.get(f"{REPORTS}/{report.id}/comments", headers=_h(lab, "ada")).json
    assert comments["items"][0]["author"] == "cat"
    assert db.session.query(Report).count() == 1 and db.session.query(ReportComment).count() == 1


def test_report_lists_are_paginated_newest_first_without_extra_queries(client, lab):
    authors = [lab.people[n] for n in ("ada", "bob", "cat")]
    make_report(lab.project, authors[0], title="r0")
    client.get(REPORTS, headers=_h(lab, "vic"))  # the key's first use records "last used"
    with count_queries() as few:
        client.get(REPORTS, headers=_h(lab, "vic"))
    for i in range(1, 30):
        make_report(lab.project, authors[i % 3], title=f"r{i}")
    with count_queries() as many:
        page = client.get(f"{REPORTS}?limit=20", headers=_h(lab, "vic")).json
    assert len(many) == len(few)
    assert [r["title"] for r in page["items"][:3]] == ["r29", "r28", "r27"]
    rest = client.get(f"{REPORTS}?limit=20&cursor={page['next_cursor']}", headers=_h(lab, "vic"))
    assert len(rest.json["items"]) == 10 and rest.json["next_cursor"] is None


def test_an_id_beyond_any_report_is_not_found(client, lab):
    report = make_report(lab.project, lab.people["bob"])
    huge = 10**30
    for method, url in [
        ("GET", f"{REPORTS}/{huge}"),
        ("GET", f"{REPORTS}/{2**31}/comments"),
        ("DELETE", f"{REPORTS}/{report.id}/comments/{huge}"),
    ]:
        response = client.open(url, method=method, headers=bearer(lab.keys["ada"]))
        assert response.status_code == 404, (url, response.json)
        assert response.json["error"]["code"] in {"report_not_found", "comment_not_found"}
