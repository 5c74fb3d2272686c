"""The audit log through the API: filters, cursor pages, NDJSON and CSV exports."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.api.pagination import encode_cursor
from server.extensions import db
from server.models import AuditEvent
from server.services import audit_log
from tests.factories import bearer, count_queries, make_key, make_team, make_user

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin():
    user = make_user("root", system_admin=True, password=None)
    return user, make_key(user)


@pytest.fixture
def world(admin):
    """Events over five days: root manages teams, ada signs in (once failing), the CLI
    installs a license."""
    root = admin[0]
    ada = make_user("ada", password=None)
    lab, ops = make_team("lab"), make_team("ops")
    db.session.query(AuditEvent).delete()
    rows = [
        (0, root, "team:create", lab, "success"),
        (0, root, "team:create", ops, "success"),
        (1, ada, "user:login", None, "failure"),
        (1, ada, "user:login", None, "success"),
        (2, root, "member:add", lab, "success"),
        (3, root, "team:update", ops, "success"),
        (4, None, "license:install", None, "success"),
    ]
    for days, actor, action, team, result in rows:
        db.session.add(
            AuditEvent(
                created_at=T0 + timedelta(days=days),
                actor_id=actor.id if actor else None,
                actor_name=actor.username if actor else "cli",
                actor_ip="10.0.0.7" if actor else "",
                action=action,
                target_type="team" if team else "",
                target_name=team.slug if team else "",
                team_id=team.id if team else None,
                result=result,
            )
        )
    db.session.commit()
    return {"lab": lab, "ops": ops}


def _list(client, key, query=""):
    response = client.get(f"/api/v1/system/audit-log?{query}", headers=bearer(key))
    assert response.status_code == 200, response.json
    return response.json


def _actions(body):
    return [item["action"] for item in body["items"]]


def test_events_come_newest_first_with_every_field(client, admin, world):
    body = _list(client, admin[1])
    assert _actions(body) == [
        "license:install",
        "team:update",
        "member:add",
        "user:login",
        "user:login",
        "team:create",
        "team:create",
    ]
    newest = body["items"][1]
    assert newest["created_at"] == "2026-02-04T09:00:00Z"
    assert newest["actor"] == "root" and newest["actor_ip"] == "10.0.0.7"
    assert (newest["target_type"], newest["target_name"], newest["team"]) == ("team", "ops", "ops")
    assert newest["result"] == "success"
    assert body["next_cursor"] is None


@pytest.mark.parametrize(
    "query, expected",
    [
        ("from=2026-02-03", ["license:install", "team:update", "member:add"]),
        ("to=2026-02-01", ["team:create", "team:create"]),
        ("from=2026-02-02&to=2026-02-02", ["user:login", "user:login"]),
        ("from=2026-02-04T09:00:00Z&to=2026-02-05T08:59:59Z", ["team:update"]),
        ("from=2026-02-04T10:00:00%2B01:00&to=2026-02-04T09:00:00", ["team:update"]),
        ("actor=ada", ["user:login", "user:login"]),
        ("actor=cli", ["license:install"]),
        ("actor=nobody", []),
        ("action=team:create", ["team:create", "team:create"]),
        ("action=team:", ["team:update", "team:create", "team:create"]),
        ("action=team:*", ["team:update", "team:create", "team:create"]),
        ("action=team", []),
        ("team=lab", ["member:add", "team:create"]),
        ("result=failure", ["user:login"]),
        ("actor=root&team=ops&action=team:", ["team:update", "team:create"]),
        ("from=2026-02-03&to=9999-12-31", ["license:install", "team:update", "member:add"]),
        ("from=0001-01-01T00:00:00%2B05:00&to=2026-02-01", ["team:create", "team:create"]),
        (
            "from=2026-02-03&to=9999-12-31T23:59:59.999999",
            ["license:install", "team:update", "member:add"],
        ),
    ],
)
def test_filters(client, admin, world, query, expected):
    assert _actions(_list(client, admin[1], query)) == expected


@pytest.mark.parametrize(
    "query, code",
    [
        ("from=yesterday", "invalid_date"),
        ("to=2026-13-01", "invalid_date"),
        ("from=2026-02-03&to=2026-02-01", "invalid_range"),
        ("team=nope", "unknown_team"),
        ("result=maybe", "validation_failed"),
        ("limit=0", "validation_failed"),
        ("cursor=not-a-cursor", "invalid_cursor"),
        ("cursor=" + encode_cursor(["2026-01-01T00:00:00", 1]), "invalid_cursor"),  # naive
        ("cursor=" + encode_cursor(["2026-01-01T00:00:00Z", 10**30]), "invalid_cursor"),
        ("cursor=" + encode_cursor(["2026-01-01T00:00:00Z", 1.5]), "invalid_cursor"),
        ("cursor=" + encode_cursor(["2026-01-01", True]), "invalid_cursor"),
        ("actor=" + "x" * 300, "invalid_filter"),
    ],
)
def test_bad_filters_are_refused_with_a_code(client, admin, world, query, code):
    response = client.get(f"/api/v1/system/audit-log?{query}", headers=bearer(admin[1]))
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == code


def test_cursor_pages_cover_every_event_once_even_when_times_tie(client, admin, world):
    same_time = T0 + timedelta(days=10)
    for n in range(23):
        db.session.add(AuditEvent(created_at=same_time, action="team:update", target_id=str(n)))
    db.session.commit()
    seen, cursor, pages = [], None, 0
    while True:
        body = _list(client, admin[1], f"limit=10&cursor={cursor}" if cursor else "limit=10")
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    everything = db.session.scalars(
        select(AuditEvent.id).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    ).all()
    assert seen == everything and len(seen) == 30


def test_an_action_prefix_pages_through_several_actions_in_time_order(client, admin, world):
    actions = ["team:create", "team:update", "team:delete", "user:create"]
    for n in range(30):
        moment = T0 + timedelta(days=20, minutes=n // 3)  # ties of three
        db.session.add(AuditEvent(created_at=moment, action=actions[n % 4], target_id=str(n)))
    db.session.commit()
    seen, cursor = [], None
    while True:
        query = "action=team:&limit=4" + (f"&cursor={cursor}" if cursor else "")
        body = _list(client, admin[1], query)
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    expected = db.session.scalars(
        select(AuditEvent.id)
        .where(AuditEvent.action.startswith("team:"))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    ).all()
    assert seen == expected and len(seen) == 26  # 23 new team:* events and the world's three
    assert _list(client, admin[1], "action=billing:")["items"] == []


def test_a_page_costs_the_same_queries_however_many_teams_it_shows(client, admin, world):
    def queries(query):
        with count_queries() as seen:
            _list(client, admin[1], query)
        return len(seen)

    _list(client, admin[1])
    teams = [make_team() for _ in range(8)]
    for team in teams:
        db.session.add(AuditEvent(created_at=T0, action="team:update", team_id=team.id))
    db.session.commit()
    assert queries("limit=2") == queries("limit=50")


def test_ndjson_export_streams_the_filtered_events_and_is_audited(client, admin, world):
    response = client.get(
        "/api/v1/system/audit-log/export?format=ndjson&action=team:", headers=bearer(admin[1])
    )
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [r["action"] for r in rows] == ["team:update", "team:create", "team:create"]
    assert {r["team"] for r in rows} == {"lab", "ops"}
    exported = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit_log:export")
    ).one()
    assert exported.actor_name == "root"
    assert exported.details == {"format": "ndjson", "filters": {"action": "team:"}}


def test_csv_export_has_a_header_and_neutralises_formulas(client, admin, world):
    db.session.add(
        AuditEvent(
            created_at=T0 + timedelta(days=6),
            action="team:update",
            target_name='=HYPERLINK("http://evil")',
            details={"fields": ["intro"]},
        )
    )
    db.session.commit()
    response = client.get(
        "/api/v1/system/audit-log/export?format=csv&from=2026-02-05&to=2026-02-28",
        headers=bearer(admin[1]),
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(audit_log.COLUMNS)
    assert [r["action"] for r in rows] == ["team:update", "license:install"]
    assert rows[0]["target_name"] == '\'=HYPERLINK("http://evil")'
    assert json.loads(rows[0]["details"]) == {"fields": ["intro"]}
    assert rows[1]["actor"] == "cli"


def test_exports_walk_batches_without_losing_tied_events(app, admin, world, monkeypatch):
    same_time = T0 + timedelta(days=20)
    for n in range(17):
        db.session.add(AuditEvent(created_at=same_time, action="user:create", target_id=str(n)))
    db.session.commit()
    monkeypatch.setattr(audit_log, "EXPORT_BATCH", 4)
    lines = list(audit_log.export_lines(audit_log.parse_filters({}), "ndjson"))
    ids = [json.loads(line)["id"] for line in lines]
    assert len(ids) == len(set(ids)) == 24


def test_a_bad_export_request_fails_before_streaming(client, admin, world):
    h = bearer(admin[1])
    response = client.get("/api/v1/system/audit-log/export?format=xml", headers=h)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    response = client.get("/api/v1/system/audit-log/export?team=nope", headers=h)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "unknown_team"
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "audit_log:export")
    ).all()


def test_only_system_admins_read_the_audit_log(client, world):
    member = make_key(make_user("member", password=None))
    for path in ("/api/v1/system/audit-log", "/api/v1/system/audit-log/export"):
        response = client.get(path, headers=bearer(member))
        assert response.status_code == 403
        assert response.json["error"]["code"] == "permission_denied"
        assert client.get(path).status_code == 401


def test_the_openapi_document_describes_the_filters(client):
    doc = client.get("/api/v1/openapi.json").json
    operation = doc["paths"]["/api/v1/system/audit-log"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"from", "to", "actor", "action", "team", "result", "cursor", "limit"} <= names
    assert operation["x-permission"] == "system:audit"
    export = doc["paths"]["/api/v1/system/audit-log/export"]["get"]
    assert "format" in {p["name"] for p in export["parameters"]}
