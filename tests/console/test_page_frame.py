"""The frame around every console page (issue 16 #14): the site icon browsers ask for, and a
skip-to-content link as the first thing a keyboard reaches."""

import pytest

from tests.factories import PASSWORD, make_user
from tests.fixtures.browser import sign_in


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    body = response.get_data()
    response.close()
    assert response.status_code == 200
    assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)


FIRST_FOCUSABLE = """
document.querySelector(
  'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])'
).textContent.trim()
"""


@pytest.mark.browser
def test_skip_link_is_the_first_focusable_element(page):
    make_user("ada")
    page.goto("/login")
    assert page.evaluate(FIRST_FOCUSABLE) == "Skip to content"
    sign_in(page, "ada", PASSWORD)
    page.goto("/settings/profile")
    assert page.evaluate(FIRST_FOCUSABLE) == "Skip to content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    assert page.is_visible("a.skip-link")  # shown while it has focus
    page.keyboard.press("Enter")
    page.wait_for_url("**/settings/profile#main")
    assert page.evaluate("document.activeElement.id") == "main"
