"""The console under its Content-Security-Policy in Chromium (issue 12 #8): the main pages load
with no CSP violation and no console error, the scripted parts (confirmations, copy buttons)
still work from the static script, and no other origin can frame a page."""

import pytest

from server.services import licensing
from tests.factories import PASSWORD, make_project, make_team, make_user
from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""

PAGES = [
    "/",
    "/teams",
    "/teams/lab",
    "/teams/lab/members",
    "/teams/lab/service-accounts",
    "/teams/lab/privacy",
    "/teams/lab/registry",
    "/teams/lab/storage",
    "/teams/lab/profile",
    "/settings/profile",
    "/settings/api-keys",
    "/settings/alerts",
    "/settings/beta",
    "/users/root",
    "/admin/settings",
    "/admin/users",
    "/admin/teams",
    "/admin/roles",
    "/admin/license",
    "/admin/activity",
    "/admin/audit-log",
    "/no/such/page",
]


@pytest.fixture
def recorded(page):
    """The page, recording CSP violations and console errors into a list."""
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    def collect() -> list[str]:
        return problems + page.evaluate("window.__cspViolations || []")

    page.problems = collect
    return page


@pytest.fixture
def lab(issue_license):
    licensing.install_license(issue_license())
    root = make_user("root", system_admin=True, display_name="Root Admin")
    bob = make_user("bob", display_name="Bob Member")
    team = make_team("lab", display_name="Vision Lab", admins=[root], members=[bob])
    make_project(team, "vision", visibility="public", created_by=root)
    return team


def test_main_console_pages_have_no_csp_violations(recorded, lab):
    recorded.goto("/login")  # signed out
    assert recorded.problems() == []
    sign_in(recorded, "root", PASSWORD)
    for path in PAGES:
        recorded.goto(path)
        recorded.wait_for_load_state("load")
        problems = recorded.problems()
        if path == "/no/such/page":  # the browser reports the 404 status itself
            problems = [p for p in problems if "status of 404" not in p]
        assert problems == [], path
    assert recorded.locator("link[rel=stylesheet]").count() == 1
    # The stylesheet applies (a CSP that blocked it would leave the header unstyled).
    background = recorded.eval_on_selector(".topbar", "el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(29, 35, 48)"


def test_copy_buttons_and_confirmations_work_under_the_csp(recorded, lab):
    recorded.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(recorded, "root", PASSWORD)
    recorded.goto("/settings/api-keys")
    recorded.fill("input[name=name]", "laptop")
    recorded.click("text=Create API key")
    recorded.click("[data-copy=new-key]")
    recorded.wait_for_selector("[data-copy=new-key]:text('Copied')")
    key = recorded.input_value("#new-key")
    assert recorded.evaluate("navigator.clipboard.readText()") == key

    dialogs: list[str] = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    recorded.once("dialog", dismiss)
    recorded.click("button.danger")
    assert dialogs and dialogs[0].startswith("Delete API key")
    assert recorded.locator("text=laptop").count() >= 1  # dismissed: the key is still there
    recorded.once("dialog", lambda dialog: dialog.accept())
    recorded.click("button.danger")
    recorded.wait_for_selector("text=deleted")
    assert recorded.problems() == []


def test_another_origin_cannot_frame_the_console(page, live_server):
    make_user("ada")
    # localhost is another origin than 127.0.0.1, where the live server is reached.
    other = live_server.replace("127.0.0.1", "localhost")
    page.goto(f"{other}/healthz")
    page.set_content(f'<iframe id="f" src="{live_server}/login"></iframe>')
    page.wait_for_timeout(500)
    framed = [f for f in page.frames if f != page.main_frame]
    assert framed, "the iframe element exists"
    assert all("Sign in to" not in frame.content() for frame in framed if frame.url != "")
