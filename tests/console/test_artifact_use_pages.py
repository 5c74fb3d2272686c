"""Artifact use in the console (test client, SQLite and PostgreSQL): the run page lists the
versions a run used with links, and a version's page the runs that used it, a page at a
time, each showing only what the visitor may read."""

import re

import pytest

from server.extensions import db
from server.models import Run, RunArtifactUse
from server.services import run_lineage
from tests.artifact_support import ArtifactClient
from tests.console.data_world import BASE, seed
from tests.console.helpers import html, signed_in
from tests.factories import make_key

VERSION = BASE + "/artifacts/mnist/v0"


@pytest.fixture
def world(app):
    return seed(app)


@pytest.fixture
def as_user(app, world):
    return lambda name: signed_in(app.test_client(), world.users[name])


def _use(world, run, *, team=None, project=None, artifact="mnist", actor="mia"):
    person = world.users[actor]
    version = run_lineage.source_version(
        person, run, artifact=artifact, version="v0", team=team, project=project
    )
    return run_lineage.record_use(person, run, version)


def _section(page: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">(.*?)</table>', page, re.S).group(1)


def test_run_page_lists_used_artifacts_with_links(as_user, world):
    r2 = world.runs["r2"]
    empty = _section(html(as_user("vic").get(BASE + "/runs/r2")), "used")
    assert "None declared." in empty
    _use(world, r2)
    used = _section(html(as_user("vic").get(BASE + "/runs/r2")), "used")
    assert 'data-used="acme/vision/mnist:v0"' in used
    assert f'href="{BASE}/artifacts/mnist"' in used and f'href="{VERSION}">v0</a>' in used
    assert "by mia" in used
    assert "None declared." in _section(html(as_user("vic").get(BASE + "/runs/r1")), "used")


def test_a_public_artifact_used_from_a_private_project_stays_hidden_from_outsiders(
    app, as_user, world
):
    open_art = ArtifactClient(app, app.test_client(), make_key(world.users["ada"]), team="acme")
    open_art.base = "/api/v1/teams/acme/projects/open/artifacts"
    open_art.create("shared-set")
    open_art.log("shared-set", {"x.txt": b"x"})
    _use(world, world.runs["r2"], project="open", artifact="shared-set")
    page = html(as_user("vic").get(BASE + "/runs/r2"))
    link = "/teams/acme/projects/open/artifacts/shared-set/v0"
    assert f'href="{link}">v0</a>' in page and "acme/open/shared-set" in page
    members = _section(html(as_user("vic").get(link)), "used-by")
    assert 'data-run="acme/vision/r2"' in members
    # otto (no team) reads the public artifact but not the private project's run.
    outsider = html(as_user("otto").get(link))
    assert 'data-run="' not in _section(outsider, "used-by") and "/runs/r2" not in outsider


def test_version_page_pages_through_the_runs_that_used_it(as_user, world):
    mia, version = world.users["mia"], _use(world, world.runs["r2"])[0].version
    runs = [
        Run(project_id=world.project.id, run_id=f"u{n:02d}", created_by_id=mia.id)
        for n in range(50)
    ]
    db.session.add_all(runs)
    db.session.flush()
    db.session.add_all(
        RunArtifactUse(run_pk=run.id, version_id=version.id, used_by_id=mia.id) for run in runs
    )
    db.session.commit()
    first = html(as_user("vic").get(VERSION))
    rows = re.findall(r'data-run="acme/vision/(\w+)"', first)
    assert len(rows) == 50 and rows[0] == "u49"  # newest use first
    more = re.search(r'href="\?used_cursor=([^"#]+)#used-by-h"', first).group(1)
    rest = html(as_user("vic").get(f"{VERSION}?used_cursor={more}"))
    assert re.findall(r'data-run="acme/vision/(\w+)"', rest) == ["r2"]
    assert "used_cursor=" not in rest and f'href="{BASE}/runs/r2"' in rest
    # A deleted run leaves the list.
    assert as_user("max").post(BASE + "/runs/r2/delete").status_code == 302
    assert 'data-run="acme/vision/r2"' not in html(
        as_user("vic").get(f"{VERSION}?used_cursor={more}")
    )
