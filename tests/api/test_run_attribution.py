"""Service accounts logging runs (SPEC §3): where they may log, and who a run belongs to."""

from types import SimpleNamespace

import pytest

from server.extensions import db
from server.models import AuditEvent, Run
from server.services import users as user_service
from tests.factories import (
    bearer,
    make_key,
    make_project,
    make_service_account,
    make_team,
    make_user,
)


@pytest.fixture
def world():
    people = {
        name: make_user(name, email=f"{name}@lab.test", password=None)
        for name in ("ada", "bob", "vic", "gone", "eve")
    }
    lab = make_team(
        "lab",
        admins=[people["ada"]],
        members=[people["bob"], people["gone"]],
        viewers=[people["vic"]],
    )
    other = make_team("other", admins=[people["eve"]])
    make_project(lab, "mnist")
    make_project(other, "open", visibility="public")
    make_project(other, "secret")
    bot = make_service_account(lab, "bot")
    keys = {name: make_key(user) for name, user in people.items()}
    keys["bot"] = make_key(bot)
    user_service.deactivate(people["gone"])
    return SimpleNamespace(keys=keys, bot=bot, people=people)


def _log(client, key, project="lab/projects/mnist", headers=None, **body):
    return client.post(
        f"/api/v1/teams/{project}/runs", json=body, headers={**bearer(key), **(headers or {})}
    )


def test_attributed_to_the_member_named_in_the_header(client, world):
    response = _log(client, world.keys["bot"], headers={"X-Wandb-Username": "bob"})
    assert response.status_code == 201, response.json
    assert response.json["created_by"] == "bob"
    assert response.json["logged_by"] == "lab-bot"
    assert response.json["warnings"] == []
    run = db.session.query(Run).one()
    assert (run.created_by_id, run.logged_by_id) == (world.people["bob"].id, world.bot.id)


def test_attributed_by_email_in_the_header_or_the_body(client, world):
    by_header = _log(client, world.keys["bot"], headers={"X-Wandb-User-Email": "BOB@lab.test"})
    assert by_header.json["created_by"] == "bob"
    by_body = _log(client, world.keys["bot"], user_email="vic@lab.test")
    assert by_body.json["created_by"] == "vic"  # view-only members are members too


def test_the_body_wins_over_the_headers_and_username_over_email(client, world):
    response = _log(
        client,
        world.keys["bot"],
        headers={"X-Wandb-Username": "bob"},
        username="ada",
        user_email="bob@lab.test",
    )
    assert response.json["created_by"] == "ada"


@pytest.mark.parametrize(
    "named, code",
    [
        ({"username": "eve"}, "attribution_not_a_member"),
        ({"username": "nobody"}, "attribution_user_not_found"),
        ({"user_email": "nobody@lab.test"}, "attribution_user_not_found"),
        ({"username": "gone"}, "attribution_user_inactive"),
        ({"username": "lab-bot"}, "attribution_user_not_found"),
        ({}, "attributed_to_service_account"),
    ],
)
def test_otherwise_the_service_account_owns_it_and_the_response_says_why(
    client, world, named, code
):
    response = _log(client, world.keys["bot"], **named)
    assert response.status_code == 201, response.json
    assert response.json["created_by"] == "lab-bot" and response.json["logged_by"] == "lab-bot"
    assert [w["code"] for w in response.json["warnings"]] == [code]
    assert "service account" in response.json["warnings"][0]["message"]


def test_a_persons_own_key_always_logs_as_that_person(client, world):
    response = _log(client, world.keys["bob"], headers={"X-Wandb-Username": "ada"})
    assert response.json["created_by"] == "bob" and response.json["logged_by"] == "bob"
    assert [w["code"] for w in response.json["warnings"]] == ["attribution_ignored"]
    same = _log(client, world.keys["bob"], username="bob")
    assert same.json["warnings"] == []


def test_service_accounts_log_to_public_projects_of_other_teams_never_private(client, world):
    public = _log(client, world.keys["bot"], project="other/projects/open", username="bob")
    assert public.status_code == 201, public.json
    assert public.json["team"] == "other" and public.json["created_by"] == "bob"
    private = _log(client, world.keys["bot"], project="other/projects/secret")
    assert private.status_code == 404 and private.json["error"]["code"] == "project_not_found"
    # Logging is all they get there: no stopping, moving or deleting other teams' runs.
    url = f"/api/v1/teams/other/projects/open/runs/{public.json['run_id']}"
    h = bearer(world.keys["bot"])
    assert client.patch(url, json={"summary": {"acc": 1}}, headers=h).status_code == 200
    refused = client.delete(url, headers=h)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "permission_denied"
    assert client.post(f"{url}/stop", headers=h).status_code == 403


def test_people_of_other_teams_read_public_projects_but_do_not_log_to_them(client, world):
    logged = _log(client, world.keys["eve"], project="other/projects/open")
    url = f"/api/v1/teams/other/projects/open/runs/{logged.json['run_id']}"
    assert client.get(url, headers=bearer(world.keys["bob"])).status_code == 200
    refused = _log(client, world.keys["bob"], project="other/projects/open")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "permission_denied"


def test_service_accounts_delete_their_own_runs_only(client, world):
    own = _log(client, world.keys["bot"]).json["run_id"]
    bobs = _log(client, world.keys["bob"]).json["run_id"]
    attributed = _log(client, world.keys["bot"], username="bob").json["run_id"]
    base = "/api/v1/teams/lab/projects/mnist/runs"
    h = bearer(world.keys["bot"])
    assert client.delete(f"{base}/{bobs}", headers=h).status_code == 403
    # Attributed to bob, the run is bob's: the service account that sent it does not own it.
    assert client.delete(f"{base}/{attributed}", headers=h).status_code == 403
    assert (
        client.delete(f"{base}/{attributed}", headers=bearer(world.keys["bob"])).status_code == 204
    )
    assert client.delete(f"{base}/{own}", headers=h).status_code == 204


def test_a_removed_members_runs_remain_attributed_to_them(client, world):
    run_id = _log(client, world.keys["bob"]).json["run_id"]
    via_bot = _log(client, world.keys["bot"], username="bob").json["run_id"]
    removed = client.delete("/api/v1/teams/lab/members/bob", headers=bearer(world.keys["ada"]))
    assert removed.status_code == 204, removed.json
    base = "/api/v1/teams/lab/projects/mnist/runs"
    for rid in (run_id, via_bot):
        shown = client.get(f"{base}/{rid}", headers=bearer(world.keys["ada"]))
        assert shown.status_code == 200 and shown.json["created_by"] == "bob"
    # Gone from the team, bob no longer sees (or deletes) them.
    hidden = client.delete(f"{base}/{run_id}", headers=bearer(world.keys["bob"]))
    assert hidden.status_code == 404
    event = db.session.query(AuditEvent).filter_by(action="run:create").first()
    assert event.details["created_by_id"] == world.people["bob"].id
