"""The data-plane rows of the SPEC §3 permission table (projects, runs, sweeps, workspace,
reports) as a matrix over principals, each case executed through the real API with API keys.

"own" rows are tried twice for members: on an object they created (``member_own``) and on one
another member created (``member_other``). Every other principal acts on that other member's
objects. Refusals must carry the right code: 403 ``permission_denied``, 404
``project_not_found`` (the private project stays invisible to non-members: the same answer as
for a project that does not exist), 401 for a deactivated account.
The administrative rows are in ``test_matrix_admin.py``.
"""

from dataclasses import dataclass

import pytest

from server.services import users as user_service
from tests.factories import (
    add_member,
    bearer,
    make_key,
    make_project,
    make_report,
    make_run,
    make_service_account,
    make_sweep,
    make_team,
    make_user,
)

PRINCIPALS = [
    "view_only",
    "member_own",
    "member_other",
    "team_admin",
    "registry_admin",  # a view-only member with the registry-admin flag
    "service_account",  # of the project's own team
    "non_member",
    "system_admin",  # not a member of the team
    "deactivated",  # a member whose account is deactivated
]

# SPEC §3, one column per entry of PRINCIPALS: True = allowed, else the refusal status.
# A private project of the team.
TABLE = {
    #                                          vo    m-own m-oth admin reg   sa    non  sys  deact
    "view reports":                           [True, True, True, True, True, True, 404, 403, 401],
    "create reports":                         [403,  True, True, True, 403,  True, 404, 403, 401],
    "edit reports":                           [403,  True, 403,  True, 403,  403,  404, 403, 401],
    "delete reports":                         [403,  True, 403,  True, 403,  403,  404, 403, 401],
    "follow / comment on reports":            [True, True, True, True, True, True, 404, 403, 401],
    "view run metadata":                      [True, True, True, True, True, True, 404, 403, 401],
    "edit panels and workspace":              [403,  True, True, True, 403,  True, 404, 403, 401],
    "log runs: start runs and sweeps":        [403,  True, True, True, 403,  True, 404, 403, 401],
    "log runs: update, finish, history, files": [403, True, True, True, 403,  True, 404, 403, 401],
    "delete runs (and sweeps, sweep runs)":   [403,  True, 403,  True, 403,  403,  404, 403, 401],
    "stop runs":                              [403,  True, 403,  True, 403,  403,  404, 403, 401],
    "move runs (own)":                        [403,  True, 403,  True, 403,  403,  404, 403, 401],
    "create/edit/delete project overview":    [403,  True, True, True, 403,  True, 404, 403, 401],
}  # fmt: skip

# A public project of the team, for those outside it (SPEC §3 "service accounts and
# attribution"; public projects are readable by every signed-in principal). Outsiders act on a
# team member's objects, except ``other_team_service_account_own``, which acts on objects it
# created itself: an outsider's service account starts runs and logs to the ones it sent, and
# touches nothing else. ``other_team_member`` is a person of the service account's team.
PUBLIC_PRINCIPALS = [
    "non_member",
    "other_team_member",
    "other_team_service_account",
    "other_team_service_account_own",
    "system_admin",
]
PUBLIC_TABLE = {
    #                                          non   o-mem o-sa  o-sa-own sys
    "view reports":                           [True, True, True, True,    True],
    "create reports":                         [403,  403,  403,  403,     403],
    "edit reports":                           [403,  403,  403,  403,     403],
    "delete reports":                         [403,  403,  403,  403,     403],
    "follow / comment on reports":            [403,  403,  403,  403,     403],
    "view run metadata":                      [True, True, True, True,    True],
    "edit panels and workspace":              [403,  403,  403,  403,     403],
    "log runs: start runs and sweeps":        [403,  403,  True, True,    403],
    "log runs: update, finish, history, files": [403, 403, 403,  True,    403],
    "delete runs (and sweeps, sweep runs)":   [403,  403,  403,  403,     403],
    "stop runs":                              [403,  403,  403,  403,     403],
    "move runs (own)":                        [403,  403,  403,  403,     403],
    "create/edit/delete project overview":    [403,  403,  403,  403,     403],
}  # fmt: skip

REFUSAL_CODES = {403: "permission_denied", 404: "project_not_found"}


@dataclass
class World:
    keys: dict
    people: dict
    projects: dict


@pytest.fixture
def world():
    names = ("view_only", "mia", "olly", "team_admin", "registry_admin", "non_member")
    people = {name: make_user(name.replace("_", "-"), password=None) for name in names}
    people["system_admin"] = make_user("sam", password=None, system_admin=True)
    people["deactivated"] = make_user("dee", password=None)
    team = make_team(
        "lab",
        admins=[people["team_admin"]],
        members=[people["mia"], people["olly"], people["deactivated"]],
        viewers=[people["view_only"]],
    )
    add_member(team, people["registry_admin"], "view-only", registry_admin=True)
    people["service_account"] = make_service_account(team, "bot")
    otto = people["other_team_member"] = make_user("otto", password=None)
    other = make_team("other", admins=[make_user(password=None)], members=[otto])
    people["other_team_service_account"] = make_service_account(other, "bot")
    people["other_team_service_account_own"] = people["other_team_service_account"]
    projects = {
        "private": make_project(team, "secret"),
        "public": make_project(team, "open", visibility="public"),
    }
    keys = {name: make_key(user) for name, user in people.items()}
    keys["member_own"] = keys["member_other"] = keys["mia"]
    user_service.deactivate(people["deactivated"])
    return World(keys=keys, people=people, projects=projects)


def _owner(world: World, principal: str):
    """Whose object the principal acts on: their own for ``member_own`` and
    ``other_team_service_account_own``, else olly's."""
    if principal == "other_team_service_account_own":
        return world.people[principal]
    return world.people["mia" if principal == "member_own" else "olly"]


def _attempt(client, world: World, row: str, principal: str, project) -> list:
    """Every request that exercises ``row``; all must get the same answer."""
    h = bearer(world.keys[principal])
    owner = _owner(world, principal)
    base = f"/api/v1/teams/lab/projects/{project.name}"
    if "report" in row and row != "create reports":
        report = f"{base}/reports/{make_report(project, owner).id}"
    if "run" in row and row != "view run metadata":
        run = f"{base}/runs/{make_run(project, owner).run_id}"
    if row == "view reports":
        return [client.get(f"{base}/reports", headers=h), client.get(report, headers=h)]
    if row == "create reports":
        return [client.post(f"{base}/reports", json={"title": "New"}, headers=h)]
    if row == "edit reports":
        return [client.patch(report, json={"body": "edited"}, headers=h)]
    if row == "delete reports":
        return [client.delete(report, headers=h)]
    if row == "follow / comment on reports":
        comment = client.post(f"{report}/comments", json={"body": "nice"}, headers=h)
        return [client.post(f"{report}/follow", headers=h), comment]
    if row == "view run metadata":
        return _view_run_metadata(client, h, base, project, owner)
    if row == "edit panels and workspace":
        layout = {"panels": [{"type": "line"}], "sections": [], "settings": {}}
        return [client.put(f"{base}/workspace", json=layout, headers=h)]
    if row == "log runs: start runs and sweeps":
        sweep = {"config": {"method": "grid", "parameters": {"lr": {"values": [1]}}}}
        return [
            client.post(f"{base}/runs", json={"config": {"lr": 1}}, headers=h),
            client.post(f"{base}/sweeps", json=sweep, headers=h),
        ]
    if row == "log runs: update, finish, history, files":
        sweep = make_sweep(project, owner).sweep_id
        file = {"path": "media/plot.png", "size": 3}
        return [
            client.patch(run, json={"config": {"lr": 2}, "summary": {"acc": 1}}, headers=h),
            client.patch(run, json={"name": "renamed", "tags": ["x"]}, headers=h),
            client.post(f"{run}/history", json={"rows": [{"_step": 0, "loss": 1}]}, headers=h),
            client.post(f"{run}/files", json=file, headers=h),
            client.patch(run, json={"state": "crashed"}, headers=h),
            client.post(f"{base}/runs", json={"sweep": sweep}, headers=h),  # join a sweep
        ]
    if row == "delete runs (and sweeps, sweep runs)":
        sweep = make_sweep(project, owner)
        make_run(project, owner, sweep_id=sweep.id)
        return [
            client.delete(run, headers=h),
            client.delete(f"{base}/sweeps/{sweep.sweep_id}?delete_runs=true", headers=h),
        ]
    if row == "stop runs":
        return [client.post(f"{run}/stop", json={}, headers=h)]
    if row == "move runs (own)":
        other = "open" if project.name == "secret" else "secret"
        return [client.post(f"{run}/move", json={"project": other}, headers=h)]
    if row == "create/edit/delete project overview":
        return [
            client.patch(base, json={"overview": "# Plan"}, headers=h),
            client.patch(base, json={"overview": ""}, headers=h),
        ]
    raise AssertionError(row)


def _view_run_metadata(client, h, base, project, owner) -> list:
    run = make_run(project, owner)
    sweep = make_sweep(project, owner)
    url = f"{base}/runs/{run.run_id}"
    return [
        client.get(f"{base}/runs", headers=h),
        client.get(url, headers=h),
        client.get(f"{url}/history", headers=h),
        client.get(f"{url}/files", headers=h),
        client.get(f"{base}/sweeps/{sweep.sweep_id}/runs", headers=h),
    ]


def _outcome(response):
    """True when allowed; else the status, or (status, code) when the code is wrong."""
    if response.status_code < 300:
        return True
    code = response.json["error"]["code"]
    wanted = REFUSAL_CODES.get(response.status_code)
    return response.status_code if wanted in (None, code) else (response.status_code, code)


def _check(client, world, row, principals, expected, project):
    wrong = {}
    for principal, want in zip(principals, expected, strict=True):
        got = {_outcome(r) for r in _attempt(client, world, row, principal, project)}
        if got != {want}:
            wrong[principal] = (sorted(got, key=str), want)
    assert wrong == {}, f"{row}: (got, expected) {wrong}"


@pytest.mark.parametrize("row", list(TABLE))
def test_private_project_matrix(client, world, row):
    _check(client, world, row, PRINCIPALS, TABLE[row], world.projects["private"])


@pytest.mark.parametrize("row", list(PUBLIC_TABLE))
def test_public_project_matrix(client, world, row):
    _check(client, world, row, PUBLIC_PRINCIPALS, PUBLIC_TABLE[row], world.projects["public"])


def test_the_tables_cover_the_same_spec_rows():
    assert list(TABLE) == list(PUBLIC_TABLE)
