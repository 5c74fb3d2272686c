"""The console at every screen size and in both themes, in real Chromium: no page scrolls
sideways at 390 px or 1366 px, tables fit their cards, the sidebar collapses and Sign out stays
reachable on a phone, and axe-core finds no serious or critical accessibility violation (the
dark theme's contrast included).

One browser and one signed-in context per viewport keep this cheap: each test walks every
console page in turn.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe

from server.services import profile
from tests.factories import PASSWORD, make_team, make_user
from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser

CONSOLE_PAGES = [
    "/",
    "/admin",
    "/admin/settings",
    "/admin/users",
    "/admin/users/person-with-a-long-name-0",
    "/admin/users/person-with-a-long-name-0/delete",
    "/admin/teams",
    "/admin/teams/computer-vision-research",
    "/admin/teams/computer-vision-research/delete",
    "/admin/roles",
    "/admin/license",
    "/admin/activity",
    "/admin/audit-log",
    "/forgot-password",
    "/teams",
    "/teams/computer-vision-research",
    "/teams/computer-vision-research/members",
    "/teams/computer-vision-research/storage",
    "/teams/computer-vision-research/registry",
    "/settings/profile",
    "/settings/security",
    "/settings/api-keys",
    "/settings/alerts",
    "/settings/beta",
]


@pytest.fixture
def world():
    """Root plus people with long names and e-mails in a team, as a busy instance has."""
    root = make_user("root", system_admin=True, display_name="Root Admin")
    people = [
        make_user(
            f"person-with-a-long-name-{n}",
            email=f"someone.with.a.really.long.address.{n}@research-department.example.test",
            display_name=f"Person With A Rather Long Display Name {n}",
            password=None,
        )
        for n in range(4)
    ]
    make_team("computer-vision-research", admins=[root], members=people)
    return root


def _context(browser, live_server, width):
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    return context.new_page()


def _overflow(page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def _widest(page) -> list[str]:
    """The innermost elements reaching past the window's right edge (to say what to fix)."""
    return page.evaluate(
        """() => {
             const past = e => e.getBoundingClientRect().right > innerWidth + 1;
             return [...document.querySelectorAll('main *')]
             .filter(e => past(e) && ![...e.children].some(past))
             .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id); }"""
    )


def _overflowing_tables(page) -> list[str]:
    """Tables wider than the card (or scroll box) they sit in."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.card table, .admin-main table')]
             .filter(t => {
               const box = t.closest('.table-scroll') || t.closest('.card') || t.parentElement;
               return box.closest('.table-scroll') ? false
                 : t.getBoundingClientRect().right > box.getBoundingClientRect().right + 1;
             })
             .map(t => `${location.pathname} table.${t.className} ${Math.round(
                 t.getBoundingClientRect().width)}px in ${Math.round(
                 (t.closest('.card') || t.parentElement).getBoundingClientRect().width)}px`)"""
    )


@pytest.mark.parametrize("width", [1366, 390])
def test_no_console_page_scrolls_sideways(browser, live_server, world, width):
    page = _context(browser, live_server, width)
    sign_in(page, "root", PASSWORD)
    wide = {}
    for path in CONSOLE_PAGES:
        page.goto(path)
        if (extra := _overflow(page)) > 0:
            wide[path] = (extra, _widest(page))
        assert _overflowing_tables(page) == [], path
    assert wide == {}, f"pages wider than {width} px (by px): {wide}"
    if width == 390:
        page.goto("/admin/users")
        sign_out = page.get_by_role("button", name="Sign out", exact=True)
        sign_out.scroll_into_view_if_needed()
        assert sign_out.is_visible()
        box = sign_out.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        # The charts keep a readable width: at least most of the screen.
        page.goto("/admin/activity")
        chart = page.locator("[data-testid=chart-active-users]").first
        assert chart.bounding_box()["width"] >= 300
    page.context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_console_pages_have_no_serious_accessibility_violations(browser, live_server, world, theme):
    if theme == "dark":
        profile.update_profile(world.id, {"beta_features": {"dark_mode": True}})
    page = _context(browser, live_server, 1366)
    sign_in(page, "root", PASSWORD)
    axe = Axe()
    found = {}
    for path in CONSOLE_PAGES:
        page.goto(path)
        results = axe.run(page)
        serious = [
            f"{v['id']}: {[node['target'] for node in v['nodes']][:6]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[path] = serious
    assert found == {}, found
    page.context.close()
