"""The console's data pages in headless Chromium: every page renders with its charts, has no
serious or critical axe-core violations (light and dark theme), fits a 390 px wide screen,
and offers a view-only member no write action — who is refused when posting one anyway."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from server.extensions import db
from server.models import Report
from server.services import profile as profile_service
from server.services import run_lineage
from tests.console.data_world import BASE, seed
from tests.console.test_csp_browser import RECORD_VIOLATIONS
from tests.factories import PASSWORD
from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser

READ_PAGES = [
    "/teams/acme/projects",
    BASE,
    BASE + "/runs/r1",
    BASE + "/runs/r1?x=time",
    BASE + "/compare?run=r1&run=r2&metric=loss",
    BASE + "/artifacts",
    BASE + "/artifacts/mnist",
    BASE + "/artifacts/mnist/v0",
    "/teams/acme/models",
    "/teams/acme/models/classifier",
    BASE + "/reports",
    BASE + "/reports/{report}",
]
PAGES = [*READ_PAGES, BASE + "/bulk/delete?run=r1", BASE + "/reports/new"]


@pytest.fixture
def world(app):
    world = seed(app, with_passwords=("mia", "vic", "otto"))
    profile_service.update_profile(world.users["vic"].id, {"beta_features": {"dark_mode": True}})
    world.report = db.session.query(Report).one().id
    mia, r1 = world.users["mia"], world.runs["r1"]  # r1 used what it logged: both tables fill
    run_lineage.record_use(mia, r1, run_lineage.source_version(mia, r1, artifact="mnist"))
    return world


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_member_sees_pages_charts_and_actions_accessibly(page, world):
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, "mia", PASSWORD)
    problems = {}
    for path in PAGES:
        response = page.goto(path.format(report=world.report))
        assert response.status == 200, path
        if found := _serious(page) + page.evaluate("window.__cspViolations"):
            problems[path] = found
    assert problems == {}
    page.goto(BASE + "/runs/r1")
    for metric in ("acc", "loss"):
        chart = page.locator(f"svg[data-testid='chart-{metric}']")
        assert chart.get_attribute("role") == "img"
        assert (
            chart.locator(f"path.series[data-series='{metric}']").get_attribute("data-points")
            == "50"
        )
    assert page.get_by_role("button", name="Stop").is_visible()
    page.goto(BASE + "/compare?run=r1&run=r2&metric=loss")
    names = page.locator("svg[data-testid=chart-compare] path.series").evaluate_all(
        "paths => paths.map(p => p.dataset.series)"
    )
    assert names == ["baseline", "wider"]
    # The runs table: tick two runs, compare them.
    page.goto(BASE)
    page.get_by_label("Select baseline").check()
    page.get_by_label("Select wider").check()
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(lambda url: "/compare?run=r2&run=r1" in url)  # in table order
    assert page.locator("svg[data-testid=chart-compare] path.series").count() == 2
    # Deleting a run asks first (the console's static script), then lands on the runs table.
    page.goto(BASE + "/runs/r1")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Delete").click()
    assert asked and "Delete run baseline" in asked[0] and page.url.endswith("/runs/r1")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(lambda url: url.endswith(BASE))
    assert page.locator("tr[data-run=r1]").count() == 0


def test_view_only_member_on_a_phone_in_the_dark_theme(browser, live_server, world):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, "vic", PASSWORD)
        for path in READ_PAGES:
            path = path.format(report=world.report)
            page.goto(path)
            assert "beta-dark-mode" in page.locator("body").get_attribute("class")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width} px wide"
            assert _serious(page) == [], path
            buttons = page.locator("main button, main a.button").all_inner_texts()
            assert not {
                "Delete",
                "Delete…",
                "Move…",
                "Stop",
                "Rename",
                "Create project",
                "Set alias",
                "Edit",
                "New report",
                "Link",
            } & {b.strip() for b in buttons}, path
        page.goto(BASE + "/runs/r1")
        token = page.locator("input[name=csrf_token]").first.input_value()
        status = page.evaluate(
            """async ([url, token]) => (await fetch(url, {method: "POST",
                 headers: {"Content-Type": "application/x-www-form-urlencoded"},
                 body: "csrf_token=" + encodeURIComponent(token), redirect: "manual"})).status""",
            [BASE + "/runs/r1/delete", token],
        )
        assert status == 403
    finally:
        context.close()


def test_outsider_gets_not_found(page, world):
    sign_in(page, "otto", PASSWORD)
    assert page.goto(BASE).status == 404
    assert page.goto(BASE + "/runs/r1").status == 404
    assert page.goto("/teams/acme/projects").status == 404
