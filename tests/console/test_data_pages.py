"""The console's data pages over a seeded team (test client, SQLite and PostgreSQL): projects,
the runs table, the run page with its charts, bulk actions and the comparison. What each
role sees follows ``can``; what each may post follows ``authorize`` (403 for members of the
team, 404 for outsiders)."""

import re

import pytest

from server.extensions import db
from server.models import Project, Run
from tests.console.data_world import BASE, seed
from tests.console.helpers import html, signed_in
from tests.factories import count_queries


@pytest.fixture
def world(app):
    return seed(app)


@pytest.fixture
def as_user(app, world):
    return lambda name: signed_in(app.test_client(), world.users[name])


def _row(page: str, attr: str, value: str) -> str:
    match = re.search(rf'<tr data-{attr}="{re.escape(value)}">(.*?)</tr>', page, re.S)
    assert match, f"no row {value}"
    return match.group(1)


# --- projects ---------------------------------------------------------------------------------


def test_projects_page_shows_counts_creators_and_only_allowed_actions(as_user):
    page = html(as_user("ada").get("/teams/acme/projects"))
    row = _row(page, "project", "vision")
    assert '<td data-testid="run-count">3</td>' in row and "<td>mia</td>" in row
    assert "Rename" in row and "Delete" in row and 'data-testid="new-project"' in page
    member = html(as_user("mia").get("/teams/acme/projects"))
    assert 'data-testid="new-project"' in member
    assert "Rename" not in _row(member, "project", "vision")
    assert "/delete" not in member
    viewer = html(as_user("vic").get("/teams/acme/projects"))
    assert 'data-testid="new-project"' not in viewer and "<form" not in _row(
        viewer, "project", "vision"
    )


def test_project_actions_post_then_redirect(as_user, world):
    ada = as_user("ada")
    made = ada.post("/teams/acme/projects", {"name": "speech", "visibility": "private"})
    assert made.status_code == 302 and made.location.endswith("/teams/acme/projects")
    assert ada.post("/teams/acme/projects/speech/rename", {"name": "audio"}).status_code == 302
    assert (
        ada.post("/teams/acme/projects/audio/visibility", {"visibility": "public"}).status_code
        == 302
    )
    audio = db.session.query(Project).filter_by(name="audio").one()
    assert audio.visibility == "public" and audio.display_name == "audio"
    gone = ada.post("/teams/acme/projects/vision/delete", {"confirm": "vision"})
    assert gone.status_code == 302
    assert db.session.query(Project).filter_by(name="vision").count() == 0
    assert "Project vision and everything in it were deleted." in html(ada.get(gone.location))


def test_project_actions_are_refused_to_those_not_allowed(as_user):
    vic, mia, otto = as_user("vic"), as_user("mia"), as_user("otto")
    assert (
        vic.post("/teams/acme/projects", {"name": "x", "visibility": "private"}).status_code == 403
    )
    assert mia.post("/teams/acme/projects/vision/delete", {"confirm": "vision"}).status_code == 403
    assert mia.post("/teams/acme/projects/vision/rename", {"name": "y"}).status_code == 403
    assert otto.get("/teams/acme/projects").status_code == 404
    assert otto.get(BASE).status_code == 404
    assert db.session.query(Project).filter_by(name="vision").count() == 1


# --- runs table -------------------------------------------------------------------------------


def _runs_in(page: str) -> list[str]:
    return re.findall(r'<tr data-run="([^"]+)">', page)


def test_runs_table_filters_sorts_and_attributes(as_user):
    vic = as_user("vic")
    page = html(vic.get(BASE))
    assert _runs_in(page) == ["r3", "r2", "r1"]  # newest first
    assert "mia (via acme-bot)" in _row(page, "run", "r3")
    assert '<span class="chip">baseline</span>' in _row(page, "run", "r1")
    assert _runs_in(html(vic.get(BASE + "?state=finished"))) == ["r2"]
    assert _runs_in(html(vic.get(BASE + "?tag=baseline"))) == ["r1"]
    assert _runs_in(html(vic.get(BASE + "?tag=cnn&sort=name&dir=asc"))) == ["r1", "r2"]
    assert _runs_in(html(vic.get(BASE + "?user=max"))) == ["r2"]
    assert _runs_in(html(vic.get(BASE + "?group=g1"))) == ["r1"]
    assert _runs_in(html(vic.get(BASE + "?q=WID"))) == ["r2"]
    by_loss = html(vic.get(BASE + "?sort=summary:loss&dir=asc&col=loss"))
    assert _runs_in(by_loss) == ["r1", "r2", "r3"]  # r3 logged no loss: last
    assert '<td class="mono" data-metric="loss">0.02</td>' in _row(by_loss, "run", "r1")
    # A view-only member may compare, not move or delete.
    assert 'value="compare"' in page and 'value="delete"' not in page and 'value="move"' not in page


def test_runs_table_pages_with_the_cursor_in_every_sort(app, world):
    from server.services.run_table import RunFilters, run_table_page

    for n in range(7):
        run = Run(
            project_id=world.project.id, run_id=f"x{n}", name=f"x{n}", summary={"loss": n % 3}
        )
        db.session.add(run)
    db.session.commit()
    for sort, descending in (
        ("created", True),
        ("name", False),
        ("summary:loss", True),
        ("state", False),
    ):
        filters = RunFilters(sort=sort, descending=descending)
        seen, cursor = [], None
        while True:
            page = run_table_page(world.project, filters, cursor=cursor, limit=3)
            seen += [run.run_id for run in page.items]
            if not (cursor := page.next_cursor):
                break
        everything = run_table_page(world.project, filters, cursor=None, limit=100).items
        assert seen == [run.run_id for run in everything] and len(seen) == 10, sort


def test_runs_table_costs_the_same_queries_for_more_runs(as_user, world):
    vic = as_user("vic")
    vic.get(BASE)
    with count_queries() as few:
        vic.get(BASE)
    for n in range(30):
        db.session.add(
            Run(project_id=world.project.id, run_id=f"y{n}", created_by_id=world.users["max"].id)
        )
    db.session.commit()
    with count_queries() as many:
        vic.get(BASE)
    assert len(many) == len(few)


# --- bulk actions -----------------------------------------------------------------------------


def test_bulk_delete_asks_first_and_refuses_runs_of_others(as_user):
    mia = as_user("mia")
    asked = mia.post(BASE + "/bulk", {"run": ["r1", "r2"], "action": "delete"})
    assert asked.status_code == 302 and "/bulk/delete?run=r1&run=r2" in asked.location
    confirm = html(mia.get(asked.location))
    assert "You may not delete" in confirm and "<strong>wider</strong>" in confirm
    assert mia.post(BASE + "/bulk/delete", {"run": ["r1", "r2"]}).status_code == 403
    assert db.session.query(Run).filter(Run.run_id.in_(["r1", "r2"])).count() == 2
    done = mia.post(BASE + "/bulk/delete", {"run": ["r1", "r3"]})
    assert done.status_code == 302 and done.location.endswith(BASE)
    assert db.session.query(Run).filter(Run.run_id.in_(["r1", "r3"])).count() == 0


def test_bulk_move_and_compare(as_user):
    ada = as_user("ada")
    compare = ada.post(BASE + "/bulk", {"run": ["r1", "r2"], "action": "compare"})
    assert "/compare?run=r1&run=r2" in compare.location
    page = html(ada.get(compare.location + "&metric=loss"))
    series = re.findall(r'<path class="series series-\d" data-series="([^"]+)"', page)
    assert series == ["baseline", "wider"]
    assert ada.post(BASE + "/bulk/move", {"run": ["r1"], "project": "open"}).status_code == 302
    assert db.session.query(Run).filter_by(run_id="r1").one().project.name == "open"
    assert (
        as_user("vic").post(BASE + "/bulk/move", {"run": ["r2"], "project": "open"}).status_code
        == 403
    )


# --- run page ---------------------------------------------------------------------------------


def test_run_page_overview_tables_files_artifacts_and_charts(as_user):
    page = html(as_user("vic").get(BASE + "/runs/r1"))
    assert 'data-testid="run-state">running' in page
    assert re.findall(
        r'<path class="series series-0" data-series="([^"]+)" data-points="(\d+)"', page
    ) == [
        ("acc", "50"),
        ("loss", "50"),
    ]
    assert 'data-series="note"' not in page
    assert (
        '<th scope="row" class="mono">opt.name</th>' in page
        and '<td class="mono">adam</td>' in page
    )
    assert "logs/output.log" in page and "train.csv" not in page
    produced = re.search(r'data-testid="produced">(.*?)</table>', page, re.S).group(1)
    assert ">mnist</a></td><td>dataset</td>" in produced
    assert f'href="{BASE}/artifacts/mnist/v0">v0</a>' in produced
    assert "/stop" not in page and "/delete" not in page  # view-only: no actions
    timed = html(as_user("vic").get(BASE + "/runs/r1?x=time"))
    assert 'data-axis="time"' in timed


def test_run_actions_follow_ownership(as_user):
    mia, vic, otto = as_user("mia"), as_user("vic"), as_user("otto")
    own = html(mia.get(BASE + "/runs/r1"))
    assert "/runs/r1/stop" in own and "/runs/r1/delete" in own
    other = html(mia.get(BASE + "/runs/r2"))
    assert "/runs/r2/delete" not in other
    assert vic.post(BASE + "/runs/r1/stop").status_code == 403
    assert vic.post(BASE + "/runs/r1/delete").status_code == 403
    assert mia.post(BASE + "/runs/r2/delete").status_code == 403
    assert otto.get(BASE + "/runs/r1").status_code == 404
    assert otto.post(BASE + "/runs/r1/delete").status_code == 404
    stopped = mia.post(BASE + "/runs/r1/stop")
    assert stopped.status_code == 302 and stopped.location.endswith("/runs/r1")
    assert db.session.query(Run).filter_by(run_id="r1").one().stop_requested
    assert mia.post(BASE + "/runs/r1/delete").status_code == 302
    assert db.session.query(Run).filter_by(run_id="r1").count() == 0


def test_public_project_runs_are_readable_by_outsiders_without_actions(as_user):
    page = html(as_user("otto").get("/teams/acme/projects/open/runs/p1"))
    assert "public-run" in page and "/runs/p1/delete" not in page


def test_run_file_downloads_through_a_signed_url(as_user):
    response = as_user("vic").get(BASE + "/runs/r1/files/logs/output.log")
    assert response.status_code == 302 and "/storage/fs/" in response.location
    assert as_user("vic").get(BASE + "/runs/r1/files/nope.txt").status_code == 404


def test_chart_document_for_one_metric(as_user):
    svg = as_user("vic").get(BASE + "/runs/r1/chart?metric=loss")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert 'data-series="loss"' in svg.get_data(as_text=True)
    assert as_user("vic").get(BASE + "/runs/r1/chart?metric=nope").status_code == 404


def test_run_page_costs_the_same_queries_for_a_longer_run(as_user, world):
    from tests.console.data_world import history

    vic = as_user("vic")
    for run_id, steps in (("short", 600), ("long", 9000)):
        run = Run(project_id=world.project.id, run_id=run_id, created_by_id=world.users["mia"].id)
        db.session.add(run)
        db.session.commit()
        run.project = world.project
        history(run, steps)
    counts = []
    for run_id in ("short", "long"):
        vic.get(f"{BASE}/runs/{run_id}")
        with count_queries() as seen:
            page = html(vic.get(f"{BASE}/runs/{run_id}"))
        assert 'data-series="loss"' in page
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_move_one_run_and_page_through_many_charts(as_user, world):
    from server.services import run_history as run_service

    run = db.session.query(Run).filter_by(run_id="r3").one()
    run_service.append_history(run, [{"_step": 0, **{f"m{n:02d}": n for n in range(14)}}])
    vic, mia = as_user("vic"), as_user("mia")
    first = html(vic.get(BASE + "/runs/r3"))
    assert len(re.findall(r'<path class="series', first)) == 12 and "Charts page 1 of 2" in first
    second = html(vic.get(BASE + "/runs/r3?x=step&charts=2"))
    assert re.findall(r'data-series="(m\d+)"', second) == ["m12", "m13"]
    assert vic.post(BASE + "/runs/r3/move", {"project": "open"}).status_code == 403
    moved = mia.post(BASE + "/runs/r3/move", {"project": "open"})
    assert moved.status_code == 302 and moved.location.endswith("/projects/open/runs/r3")
    assert "Moved to open." in html(mia.get(moved.location))


def test_run_page_shows_the_console_log_a_page_at_a_time_and_system_metrics(as_user):
    """What the W&B SDK streams (output.log and wandb-events.jsonl) is readable on the run
    page: the log's last page first, earlier pages on demand; a chart per system metric."""
    import json

    from server.services import run_streams

    run = db.session.query(Run).filter_by(run_id="r1").one()
    run_streams.put_lines(run, "console", 0, [f"epoch {n} <done>" for n in range(450)])
    samples = [
        {"system.cpu": 10.0 + n % 7, "system.memory": 40.5, "_runtime": 2 * n, "_timestamp": n}
        for n in range(1000)
    ]
    run_streams.put_lines(run, "system", 0, [json.dumps(s) for s in samples] + ["not json"])
    vic = as_user("vic")
    page = html(vic.get(BASE + "/runs/r1"))
    assert "450 lines" in page and "Page 3 of 3" in page
    assert "epoch 449 &lt;done&gt;" in page and "epoch 399 " not in page  # escaped, last page
    first = html(vic.get(BASE + "/runs/r1?log=1"))
    assert "epoch 0 &lt;done&gt;" in first and "epoch 200 " not in first
    series = dict(
        re.findall(
            r'<path class="series series-0" data-series="(system\.[^"]+)" '
            r'data-points="(\d+)"',
            page,
        )
    )
    assert set(series) == {"system.cpu", "system.memory"}
    assert all(0 < int(n) <= 300 for n in series.values())  # bounded, whatever the samples
    empty = html(vic.get(BASE + "/runs/r2"))
    assert "No console output was recorded" in empty and "No system metrics" in empty


def test_the_links_the_wandb_sdk_prints_open_the_console_pages(as_user):
    """The SDK prints "View run at <url>/<team>/<project>/runs/<id>" and "View project at
    <url>/<team>/<project>": both lead to the console, which still decides who sees what."""
    vic = as_user("vic")
    run = vic.get("/acme/vision/runs/r1")
    assert run.status_code == 302 and run.location.endswith(BASE + "/runs/r1")
    project = vic.get("/acme/vision")
    assert project.status_code == 302 and project.location.endswith(BASE)
    assert as_user("otto").get(run.location).status_code == 404  # an outsider still sees nothing
    assert vic.get("/admin/users").status_code != 302  # the console's own routes keep winning
