"""``/api/v1/users``: the system admin's view of every person: list, search, filters, pagination,
state/admin/seat changes with their guards, CSV export, and the audit trail."""

import csv
import io

import pytest

from server.extensions import db
from server.models import ApiKey, AuditEvent, User, UserInvite
from server.services import licensing
from tests.factories import add_member, bearer, count_queries, make_key, make_team, make_user


def _person(username=None, **kwargs):
    """A user who never signs in with a password (hashing one costs time for nothing)."""
    return make_user(username, password=None, **kwargs)


@pytest.fixture
def root():
    return _person("root", system_admin=True, display_name="Root Admin")


@pytest.fixture
def admin_key(root):
    return make_key(root)


def _get(client, key, path, **params):
    response = client.get(path, headers=bearer(key), query_string=params)
    assert response.status_code == 200, response.json
    return response.json


def _patch(client, key, username, **body):
    return client.patch(f"/api/v1/users/{username}", json=body, headers=bearer(key))


def _actions():
    return [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]


# --- listing ---------------------------------------------------------------------------------


def test_only_system_admins_may_use_the_users_api(client, admin_key):
    key = make_key(_person("member"))
    for method, path in [
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("get", "/api/v1/users/root"),
        ("patch", "/api/v1/users/root"),
        ("get", "/api/v1/users/export.csv"),
    ]:
        response = getattr(client, method)(path, json={}, headers=bearer(key))
        assert response.status_code == 403, path
        assert response.json["error"]["code"] == "permission_denied"
    assert client.get("/api/v1/users").json["error"]["code"] == "unauthenticated"


def test_list_shows_people_with_their_teams_not_service_accounts(client, admin_key, root):
    ada = _person("ada", display_name="Ada Lovelace")
    lab = make_team("lab", admins=[ada])
    make_team("vision", members=[ada])
    gone = make_team("old", members=[ada], state="deleted")
    assert gone.state == "deleted"
    db.session.add(User(username="lab-bot", kind="service_account", service_team_id=lab.id))
    db.session.commit()
    items = _get(client, admin_key, "/api/v1/users")["items"]
    assert [u["username"] for u in items] == ["root", "ada"]
    assert items[1]["teams"] == [
        {"name": "lab", "role": "admin"},
        {"name": "vision", "role": "member"},
    ]
    assert items[1]["display_name"] == "Ada Lovelace"
    assert items[1]["state"] == "active" and items[1]["seat_type"] == "full"
    assert "password_hash" not in items[1]


def test_custom_role_names_are_shown(client, admin_key, issue_license):
    from server.services import roles

    licensing.install_license(issue_license())
    role = roles.create_role("auditor", "view-only", ["artifact:download"])
    ada = _person("ada")
    add_member(make_team("lab"), ada, custom_role=role)
    user = _get(client, admin_key, "/api/v1/users/ada")
    assert user["teams"] == [{"name": "lab", "role": "auditor"}]


def test_listing_costs_the_same_queries_for_many_users(client, admin_key):
    def queries_for_listing():
        with count_queries() as seen:
            _get(client, admin_key, "/api/v1/users", limit=200)
        return len(seen)

    team = make_team("lab")
    for _ in range(3):
        add_member(team, _person())
    queries_for_listing()  # the first request also records the key's first use
    few = queries_for_listing()
    for _ in range(12):
        add_member(team, _person())
    assert queries_for_listing() == few


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ADA", ["ada", "grace"]),  # username of one, display name of the other
        ("lovelace", ["ada"]),
        ("@hopper.test", ["grace"]),
        ("100%", ["percent"]),
        ("a_b", ["a_b"]),
        ("nobody", []),
    ],
)
def test_search_over_username_email_and_display_name(client, admin_key, q, expected):
    _person("ada", display_name="Ada Lovelace")
    _person("grace", email="grace@hopper.test", display_name="Grace (not Ada)")
    _person("percent", display_name="100% sure")
    _person("a_b", display_name="underscore")
    _person("axb", display_name="decoy")
    found = _get(client, admin_key, "/api/v1/users", q=q)["items"]
    assert [u["username"] for u in found] == expected


def test_filters(client, admin_key, root, issue_license):
    licensing.install_license(issue_license())
    _person("viewer", seat_type="viewer")
    user_service_deactivated = _person("gone")
    client.patch("/api/v1/users/gone", json={"state": "deactivated"}, headers=bearer(admin_key))
    assert user_service_deactivated.username == "gone"
    client.post("/api/v1/users", json={"email": "new@example.test"}, headers=bearer(admin_key))

    def names(**params):
        return [u["username"] for u in _get(client, admin_key, "/api/v1/users", **params)["items"]]

    assert names(state="invited") == ["new"]
    assert names(state="deactivated") == ["gone"]
    assert names(state="active") == ["root", "viewer"]
    assert names(seat_type="viewer") == ["viewer"]
    assert names(system_admin="true") == ["root"]
    assert names(system_admin="false", state="active") == ["viewer"]
    bad = client.get("/api/v1/users?state=asleep", headers=bearer(admin_key))
    assert bad.status_code == 422 and bad.json["error"]["code"] == "validation_failed"


def test_cursor_pagination_walks_every_user_once(client, admin_key):
    for n in range(6):
        _person(f"u{n}")
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = _get(client, admin_key, "/api/v1/users", **params)
        seen += [u["username"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ["root", "u0", "u1", "u2", "u3", "u4", "u5"]
    bad = client.get("/api/v1/users?cursor=%%%", headers=bearer(admin_key))
    assert bad.json["error"]["code"] == "invalid_cursor"


# --- changes and their guards ----------------------------------------------------------------


def test_deactivate_ends_keys_and_reactivate_restores(client, admin_key):
    ada = make_user("ada")
    ada_key = make_key(ada)
    response = _patch(client, admin_key, "ada", state="deactivated")
    assert response.status_code == 200 and response.json["state"] == "deactivated"
    assert client.get("/api/v1/viewer", headers=bearer(ada_key)).status_code == 401
    response = _patch(client, admin_key, "ada", state="active")
    assert response.json["state"] == "active"
    assert client.get("/api/v1/viewer", headers=bearer(ada_key)).status_code == 200
    assert _actions()[-2:] == ["user:deactivate", "user:reactivate"]


def test_promote_and_demote(client, admin_key):
    _person("ada")
    assert _patch(client, admin_key, "ada", system_admin=True).json["system_admin"] is True
    ada_key = make_key(db.session.query(User).filter_by(username="ada").one())
    assert client.get("/api/v1/users", headers=bearer(ada_key)).status_code == 200
    assert _patch(client, admin_key, "ada", system_admin=False).json["system_admin"] is False
    assert client.get("/api/v1/users", headers=bearer(ada_key)).status_code == 403
    assert [a for a in _actions() if a.startswith("user:")][-2:] == ["user:promote", "user:demote"]


@pytest.mark.parametrize("change", [{"system_admin": False}, {"state": "deactivated"}])
def test_the_last_system_admin_stays(client, admin_key, change):
    response = _patch(client, admin_key, "root", **change)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "last_system_admin"
    _person("second", system_admin=True)
    assert _patch(client, admin_key, "root", **change).status_code == 200


def test_a_deactivated_admin_does_not_count_as_the_other_admin(client, admin_key):
    _person("second", system_admin=True)
    _patch(client, admin_key, "second", state="deactivated")
    response = _patch(client, admin_key, "root", system_admin=False)
    assert response.json["error"]["code"] == "last_system_admin"


def test_seat_changes(client, admin_key, issue_license):
    ada = _person("ada")
    make_key(ada)
    refused = _patch(client, admin_key, "ada", seat_type="viewer")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "license_required"
    licensing.install_license(issue_license(seats=2))
    moved = _patch(client, admin_key, "ada", seat_type="viewer")
    assert moved.status_code == 200 and moved.json["seat_type"] == "viewer"
    assert db.session.query(ApiKey).filter_by(user_id=ada.id).count() == 0  # viewers have none
    event = db.session.query(AuditEvent).filter_by(action="user:seat_change").one()
    assert event.details == {"from": "full", "to": "viewer", "api_keys_revoked": 1}
    _person("bob")  # the second full seat is taken again
    back = _patch(client, admin_key, "ada", seat_type="full")
    assert back.status_code == 409 and back.json["error"]["code"] == "seat_limit_reached"
    assert _patch(client, admin_key, "root", seat_type="viewer").json["error"]["code"] == (
        "viewer_cannot_be_admin"
    )


def test_reactivation_needs_a_free_seat(client, admin_key, issue_license):
    make_user("ada")
    _patch(client, admin_key, "ada", state="deactivated")
    licensing.install_license(issue_license(seats=2))
    _person("bob")
    response = _patch(client, admin_key, "ada", state="active")
    assert response.status_code == 409 and response.json["error"]["code"] == "seat_limit_reached"
    both = _patch(client, admin_key, "ada", state="active", seat_type="viewer")
    assert both.status_code == 200 and both.json["seat_type"] == "viewer"


def test_invited_users_become_active_only_by_accepting(client, admin_key):
    client.post("/api/v1/users", json={"email": "ada@example.test"}, headers=bearer(admin_key))
    response = _patch(client, admin_key, "ada", state="active")
    assert response.status_code == 409 and response.json["error"]["code"] == "invite_pending"
    cancelled = _patch(client, admin_key, "ada", state="deactivated")
    assert cancelled.json["state"] == "deactivated"
    assert db.session.query(UserInvite).count() == 0
    again = _patch(client, admin_key, "ada", state="active")
    assert again.json["error"]["code"] == "invite_pending"


def test_a_refused_change_applies_nothing(client, admin_key):
    _person("ada")
    response = _patch(client, admin_key, "ada", system_admin=True, seat_type="viewer")
    assert response.status_code == 403
    assert _get(client, admin_key, "/api/v1/users/ada")["system_admin"] is False


@pytest.mark.parametrize(
    ("username", "body", "status", "code"),
    [
        ("nobody", {"state": "deactivated"}, 404, "user_not_found"),
        ("lab-bot", {"state": "deactivated"}, 404, "user_not_found"),
        ("ada", {"state": "invited"}, 422, "validation_failed"),
        ("ada", {"seat_type": "guest"}, 422, "validation_failed"),
    ],
)
def test_bad_changes(client, admin_key, username, body, status, code):
    _person("ada")
    team = make_team("lab")
    db.session.add(User(username="lab-bot", kind="service_account", service_team_id=team.id))
    db.session.commit()
    response = _patch(client, admin_key, username, **body)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code


def test_service_accounts_are_not_shown_one_by_one_either(client, admin_key):
    team = make_team("lab")
    db.session.add(User(username="lab-bot", kind="service_account", service_team_id=team.id))
    db.session.commit()
    response = client.get("/api/v1/users/lab-bot", headers=bearer(admin_key))
    assert response.status_code == 404
    assert "service account" in response.json["error"]["message"]


# --- CSV export ------------------------------------------------------------------------------


def test_csv_export_uses_the_same_filters(client, admin_key):
    ada = _person("ada", display_name='=HYPERLINK("http://evil")')
    _person("bob")
    add_member(make_team("lab"), ada, "admin")
    response = client.get("/api/v1/users/export.csv", headers=bearer(admin_key))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["username"] for r in rows] == ["root", "ada", "bob"]
    assert rows[1]["teams"] == "lab:admin"
    assert rows[1]["display_name"].startswith("'=")  # not run as a spreadsheet formula
    assert rows[0]["system_admin"] == "true"
    only = client.get("/api/v1/users/export.csv?q=bo", headers=bearer(admin_key))
    assert [r["username"] for r in csv.DictReader(io.StringIO(only.get_data(as_text=True)))] == [
        "bob"
    ]
    assert _actions().count("user:export") == 2


def test_csv_export_streams_in_batches(client, admin_key, monkeypatch):
    from server.services import user_directory

    monkeypatch.setattr(user_directory, "EXPORT_BATCH", 2)
    for n in range(5):
        _person(f"u{n}")
    response = client.get("/api/v1/users/export.csv", headers=bearer(admin_key))
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1 + 6 and rows[0][0] == "username"
