"""``/api/v1/viewer/profile``: read and change my profile and settings; my picture."""

import io
import struct
import zlib

import pytest

from server.services import system_settings
from tests.factories import bearer, make_key, make_team, make_user


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, minimal PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def multipart(field: str, filename: str, data: bytes) -> dict:
    """A multipart body built in memory (the test client spools big uploads to a temporary
    file it never closes)."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    files = MultiDict({field: FileStorage(io.BytesIO(data), filename)})
    boundary, body = encode_multipart(files)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture
def ada():
    user = make_user("ada", display_name="Ada")
    return user, bearer(make_key(user))


def test_a_new_profile_has_defaults(client, ada):
    _, headers = ada
    body = client.get("/api/v1/viewer/profile", headers=headers).json
    assert body["username"] == "ada" and body["display_name"] == "Ada"
    assert body["bio"] == "" and body["avatar_url"] is None and body["default_team"] is None
    assert body["hide_teams"] is False
    assert body["beta_features"] == {"dark_mode": False, "compact_tables": False}
    assert body["alerts"] == {
        "run_finished": [],
        "run_crashed": [],
        "slack_webhook": {"configured": False, "host": None},
    }
    assert body["public_profile_url"] == "/users/ada"


def test_patch_changes_only_the_given_fields(client, ada):
    _, headers = ada
    response = client.patch(
        "/api/v1/viewer/profile",
        json={
            "display_name": "Ada Lovelace",
            "institution": "Analytical Engines Ltd",
            "bio": "I write **programs**.",
            "location": "London",
            "website": "https://ada.example.org",
            "hide_teams": True,
            "beta_features": {"dark_mode": True},
        },
        headers=headers,
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert (
        body["display_name"] == "Ada Lovelace" and body["institution"] == "Analytical Engines Ltd"
    )
    assert body["website"] == "https://ada.example.org" and body["hide_teams"] is True
    assert body["beta_features"] == {"dark_mode": True, "compact_tables": False}
    again = client.patch("/api/v1/viewer/profile", json={"location": "Paris"}, headers=headers)
    assert again.json["location"] == "Paris" and again.json["bio"] == "I write **programs**."


@pytest.mark.parametrize(
    "change, code",
    [
        ({"website": "javascript:alert(1)"}, "invalid_website"),
        ({"website": "ftp://files.example.org"}, "invalid_website"),
        ({"display_name": "   "}, "invalid_display_name"),
        ({"beta_features": {"time_travel": True}}, "unknown_beta_feature"),
        ({"default_team": "someone-elses"}, "not_a_member_of_team"),
        ({"alerts": {"run_finished": ["pager"]}}, "invalid_alert_channel"),
        ({"alerts": {"run_crashed": ["slack"]}}, "slack_webhook_required"),
        ({"alerts": {"slack_webhook_url": "http://hooks.slack.com/x"}}, "invalid_webhook_url"),
        (
            {"alerts": {"slack_webhook_url": "https://attacker.example/hook"}},
            "webhook_host_not_allowed",
        ),
        (
            {"alerts": {"slack_webhook_url": "https://127.0.0.1:9/services/x"}},
            "webhook_host_not_allowed",
        ),
        ({"favourite_colour": "blue"}, "validation_failed"),
    ],
)
def test_bad_changes_are_refused_with_a_code_and_nothing_is_saved(client, ada, change, code):
    make_team("someone-elses", admins=[make_user("eve")])
    _, headers = ada
    response = client.patch(
        "/api/v1/viewer/profile", json={"institution": "Kept out", **change}, headers=headers
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == code
    assert client.get("/api/v1/viewer/profile", headers=headers).json["institution"] == ""


def test_default_team_must_be_mine_and_a_single_team_is_the_default(client, ada):
    user, headers = ada
    make_team("vision", admins=[user])
    assert client.get("/api/v1/viewer/profile", headers=headers).json["default_team"] == "vision"
    make_team("nlp", members=[user])
    # Two teams and no choice: no default until the user picks one.
    assert client.get("/api/v1/viewer/profile", headers=headers).json["default_team"] is None
    chosen = client.patch("/api/v1/viewer/profile", json={"default_team": "nlp"}, headers=headers)
    assert chosen.json["default_team"] == "nlp"
    cleared = client.patch("/api/v1/viewer/profile", json={"default_team": None}, headers=headers)
    assert cleared.json["default_team"] is None


def test_slack_webhook_is_saved_but_never_returned(client, ada):
    _, headers = ada
    url = "https://hooks.slack.com/services/T000/B000/very-secret-token"
    response = client.patch(
        "/api/v1/viewer/profile",
        json={"alerts": {"run_crashed": ["email", "slack"], "slack_webhook_url": url}},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    assert "very-secret-token" not in response.get_data(as_text=True)
    alerts = response.json["alerts"]
    assert alerts["run_crashed"] == ["email", "slack"] and alerts["run_finished"] == []
    assert alerts["slack_webhook"] == {"configured": True, "host": "hooks.slack.com"}
    from server.extensions import db
    from server.models import UserProfile

    row = db.session.get(UserProfile, ada[0].id)
    assert "very-secret-token" not in (row.slack_webhook_sealed or "")
    # Removing the webhook while Slack alerts are on is refused; turning them off first works.
    refused = client.patch(
        "/api/v1/viewer/profile", json={"alerts": {"slack_webhook_url": ""}}, headers=headers
    )
    assert refused.json["error"]["code"] == "slack_webhook_required"
    cleared = client.patch(
        "/api/v1/viewer/profile",
        json={"alerts": {"run_crashed": ["email"], "slack_webhook_url": ""}},
        headers=headers,
    )
    assert cleared.json["alerts"]["slack_webhook"]["configured"] is False


def test_webhook_hosts_follow_the_system_admins_allowlist(client, ada):
    _, headers = ada
    system_settings.update_settings({"alert_webhook_allowlist": ["chat.corp.example"]})
    url = "https://chat.corp.example/hooks/abc"
    ok = client.patch(
        "/api/v1/viewer/profile", json={"alerts": {"slack_webhook_url": url}}, headers=headers
    )
    assert ok.status_code == 200
    slack = client.patch(
        "/api/v1/viewer/profile",
        json={"alerts": {"slack_webhook_url": "https://hooks.slack.com/services/x"}},
        headers=headers,
    )
    assert slack.json["error"]["code"] == "webhook_host_not_allowed"


def test_avatar_upload_checks_type_and_size_and_serves_the_picture(client, ada):
    _, headers = ada
    picture = png_bytes()
    uploaded = client.post(
        "/api/v1/viewer/profile/avatar",
        data={"file": (io.BytesIO(picture), "me.png")},
        headers=headers,
    )
    assert uploaded.status_code == 200, uploaded.json
    avatar_url = uploaded.json["avatar_url"]
    assert avatar_url.startswith("/users/ada/avatar?v=")
    assert client.get("/api/v1/viewer/profile", headers=headers).json["avatar_url"] == avatar_url

    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
    for data, name, status, code in [
        (svg, "evil.png", 415, "unsupported_avatar_type"),
        (b"GIF89a" + b"\x00" * (1024 * 1024), "big.gif", 413, "avatar_too_large"),
        (b"", "empty.png", 400, "avatar_missing"),
    ]:
        refused = client.post(
            "/api/v1/viewer/profile/avatar", headers=headers, **multipart("file", name, data)
        )
        assert refused.status_code == status and refused.json["error"]["code"] == code
    no_file = client.post("/api/v1/viewer/profile/avatar", data={}, headers=headers)
    assert no_file.json["error"]["code"] == "avatar_missing"
    assert client.delete("/api/v1/viewer/profile/avatar", headers=headers).status_code == 204
    assert client.get("/api/v1/viewer/profile", headers=headers).json["avatar_url"] is None


def test_service_accounts_have_no_profile_to_edit(client, issue_license):
    from server.services import licensing, service_accounts

    licensing.install_license(issue_license())
    team = make_team("lab", admins=[make_user("boss")])
    _, key = service_accounts.create_service_account(team, "ci")
    response = client.patch("/api/v1/viewer/profile", json={"bio": "beep"}, headers=bearer(key))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "service_account_has_no_profile"


def test_api_key_creation_can_be_disabled_by_the_system_setting(client, ada):
    _, headers = ada
    system_settings.update_settings({"disable_api_key_creation": True})
    refused = client.post("/api/v1/viewer/api-keys", json={"name": "more"}, headers=headers)
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "api_key_creation_disabled"
    # Existing keys keep working and can still be listed.
    assert client.get("/api/v1/viewer/api-keys", headers=headers).status_code == 200


def test_viewer_seats_cannot_create_keys(client, issue_license):
    from server.errors import Forbidden
    from server.services import api_keys, licensing

    licensing.install_license(issue_license())
    viewer = make_user("viewer1", seat_type="viewer")
    with pytest.raises(Forbidden) as refused:
        api_keys.create_key(viewer, "nope")
    assert refused.value.code == "viewer_seat"
