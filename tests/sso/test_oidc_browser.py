"""Chromium signs in end to end: Outpost's sign-in page, the real provider's authorization
form (oidc-provider-mock), and back to the console."""

import threading

import pytest
from werkzeug.serving import make_server

from tests.factories import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def sso_server(make_app, oidc_provider):
    """Outpost served on 127.0.0.1 with OUTPOST_URL set to where it listens (the provider
    sends the browser back to <OUTPOST_URL>/login/oidc/callback)."""
    holder = {}
    server = make_server(
        "127.0.0.1", 0, lambda environ, respond: holder["app"](environ, respond), threaded=True
    )
    base = f"http://127.0.0.1:{server.server_port}"
    app = holder["app"] = make_app(
        url=base,
        oidc_issuer=oidc_provider.issuer,
        oidc_client_id="outpost",
        oidc_client_secret="s3cret",
        oidc_button_label="Sign in with Example ID",
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        try:
            yield app, base
        finally:
            server.shutdown()
            thread.join(timeout=5)


def test_chromium_signs_in_through_the_providers_form(browser, sso_server, oidc_provider):
    app, base = sso_server
    make_user("ada", email="ada@example.test", password=None)
    oidc_provider.set_user("sub-ada", email="ada@example.test", email_verified=True)
    context = browser.new_context(base_url=base)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/login")
        page.click("text=Sign in with Example ID")
        page.wait_for_url(f"{oidc_provider.issuer}/**")
        page.fill("input[name=sub]", "sub-ada")
        page.click("button:has-text('Authorize')")
        page.wait_for_url(f"{base}/")
        assert "/login" not in page.url
        assert page.locator("text=ada").first.is_visible()
    finally:
        context.close()


def test_chromium_joins_a_team_from_its_invitation_through_the_provider(
    browser, sso_server, oidc_provider
):
    from urllib.parse import urlsplit

    from server.services import invitations
    from tests.factories import make_team

    app, base = sso_server
    admin = make_user("root")
    team = make_team("vision", admins=[admin])
    link = invitations.invite(
        team, email="vic@example.test", username=None, role_name="member", invited_by=admin
    ).link
    oidc_provider.set_user("sub-vic", email="vic@example.test", email_verified=True)
    context = browser.new_context(base_url=base)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto(urlsplit(link).path)
        page.click("text=Sign in with Example ID and join")
        page.wait_for_url(f"{oidc_provider.issuer}/**")
        page.fill("input[name=sub]", "sub-vic")
        page.click("button:has-text('Authorize')")
        page.wait_for_url(f"{base}/")
        assert page.locator("text=You joined vision as member.").is_visible()
    finally:
        context.close()
