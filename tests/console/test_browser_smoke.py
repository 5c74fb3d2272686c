"""The console in a real browser: sign in, create an API key, use it, delete it."""

import pytest
import requests

from tests.factories import PASSWORD, make_user
from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser


def test_api_key_lifecycle_in_the_browser(page, live_server):
    make_user("ada", display_name="Ada")
    sign_in(page, "ada", PASSWORD)
    assert "Welcome, Ada" in page.content()
    page.goto("/settings/api-keys")
    page.fill("input[name=name]", "laptop")
    page.click("text=Create API key")
    key = page.input_value("#new-key")
    assert len(key) >= 40
    viewer = requests.get(
        f"{live_server}/api/v1/viewer", headers={"Authorization": f"Bearer {key}"}, timeout=5
    )
    assert viewer.json()["username"] == "ada"
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("button.danger")
    page.wait_for_selector("text=deleted")
    gone = requests.get(
        f"{live_server}/api/v1/viewer", headers={"Authorization": f"Bearer {key}"}, timeout=5
    )
    assert gone.status_code == 401
