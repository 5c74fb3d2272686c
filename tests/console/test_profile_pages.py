"""My settings in the console (profile, picture, API keys, alerts, beta features) and public
profile pages. The last tests drive them in headless Chromium."""

import re

import pytest
import requests

from server.services import licensing, system_settings
from server.services import profile as profile_service
from server.services import users as user_service
from tests.api.test_profile import png_bytes
from tests.factories import PASSWORD, csrf_token, login, make_team, make_user
from tests.fixtures.browser import sign_in


def post_form(client, page_url, target, **fields):
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(target, data={"csrf_token": token, **fields})


PROFILE = {
    "display_name": "Ada Lovelace",
    "institution": "Analytical Engines",
    "location": "London",
    "website": "https://ada.example.org",
    "bio": "",
    "default_team": "",
}

XSS_BIO = (
    "**Hello** from Ada.\n\n<script>window.__xss = 'script'</script>\n\n"
    '<img src="/nothing.png" onerror="window.__xss = \'onerror\'">\n\n'
    "[click me](javascript:window.__xss='link')"
)


@pytest.fixture
def ada():
    return make_user("ada", display_name="Ada")


def test_profile_is_saved_and_shown_on_the_public_page(client, ada):
    login(client, "ada")
    saved = post_form(client, "/settings/profile", "/settings/profile", action="save", **PROFILE)
    assert saved.status_code == 302
    make_user("grace")
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    login(client, "grace")
    html = client.get("/users/ada").get_data(as_text=True)
    assert "Ada Lovelace" in html and "Analytical Engines" in html and "London" in html
    assert 'href="https://ada.example.org"' in html


def test_markdown_bio_is_previewed_and_shown_sanitised(client, ada):
    login(client, "ada")
    preview = post_form(
        client,
        "/settings/profile",
        "/settings/profile",
        action="preview",
        **{**PROFILE, "bio": XSS_BIO},
    )
    shown = preview.get_data(as_text=True).split('data-testid="preview"', 1)[1]
    shown = shown.split("</section>", 1)[0]
    assert "<strong>Hello</strong>" in shown
    assert "<script" not in shown and "onerror" not in shown and 'href="javascript' not in shown
    post_form(
        client,
        "/settings/profile",
        "/settings/profile",
        action="save",
        **{**PROFILE, "bio": XSS_BIO},
    )
    html = client.get("/users/ada").get_data(as_text=True)
    bio = html.split('data-testid="bio"', 1)[1].split("</section>", 1)[0]
    assert "<strong>Hello</strong>" in bio
    assert "<script" not in bio and "onerror" not in bio and 'href="javascript' not in bio


def test_bad_website_is_refused_with_a_message(client, ada):
    login(client, "ada")
    refused = post_form(
        client,
        "/settings/profile",
        "/settings/profile",
        action="save",
        **{**PROFILE, "website": "javascript:alert(1)"},
    )
    assert refused.status_code == 422
    assert "http:// or https:// address" in refused.get_data(as_text=True)


def test_default_team_and_hidden_teams(client, ada):
    make_team("vision", display_name="Vision", admins=[ada])
    make_team("nlp", display_name="NLP", members=[ada], profile_visibility="public")
    make_team("secret", display_name="Secret Lab", members=[ada])
    viewer = make_user("grace")
    make_team("shared", display_name="Shared", members=[ada, viewer])
    login(client, "ada")
    html = client.get("/settings/profile").get_data(as_text=True)
    assert '<option value="nlp">NLP</option>' in html
    post_form(
        client,
        "/settings/profile",
        "/settings/profile",
        action="save",
        **{**PROFILE, "default_team": "nlp"},
    )
    assert client.get("/settings/profile").get_data(as_text=True).count('selected value="nlp"') == 1
    client.post("/logout", data={"csrf_token": csrf_token(html)})

    login(client, "grace")
    html = client.get("/users/ada").get_data(as_text=True)
    teams = html.split('data-testid="profile-teams"', 1)[1]
    # Teams with a public profile and teams grace belongs to; never a members-only stranger.
    assert "NLP" in teams and "Shared" in teams
    assert "Secret Lab" not in teams and "Vision" not in teams
    client.post("/logout", data={"csrf_token": csrf_token(html)})

    login(client, "ada")
    post_form(
        client,
        "/settings/profile",
        "/settings/profile",
        action="save",
        **{**PROFILE, "default_team": "nlp", "hide_teams": "y"},
    )
    own = client.get("/users/ada").get_data(as_text=True)
    assert "Hidden from others" in own
    client.post("/logout", data={"csrf_token": csrf_token(own)})
    login(client, "grace")
    assert 'data-testid="profile-teams"' not in client.get("/users/ada").get_data(as_text=True)


def test_public_pages_of_missing_deactivated_and_service_users_do_not_exist(client, ada):
    make_user("root", system_admin=True)
    gone = make_user("gone")
    user_service.deactivate(gone)
    login(client, "ada")
    assert client.get("/users/gone").status_code == 404
    assert client.get("/users/nobody").status_code == 404
    assert client.get("/users/ada").status_code == 200
    html = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(html)})
    for url in ("/users/ada", "/users/nobody"):  # existing or not: the same answer
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_avatar_upload_in_the_console_is_served_through_a_short_lived_url(client, ada):
    import io

    login(client, "ada")
    token = csrf_token(client.get("/settings/profile").get_data(as_text=True))
    picture = png_bytes()
    client.post(
        "/settings/profile/avatar",
        data={"csrf_token": token, "file": (io.BytesIO(picture), "me.png")},
        content_type="multipart/form-data",
    )
    html = client.get("/settings/profile").get_data(as_text=True)
    assert "Picture updated." in html
    src = re.search(r'<img class="avatar large" src="([^"]+)"', html).group(1)
    redirect = client.get(src)
    assert redirect.status_code == 302 and "/storage/fs/" in redirect.headers["Location"]
    with client.get(redirect.headers["Location"]) as served:
        assert served.status_code == 200 and served.data == picture
        assert served.headers["Content-Type"] == "image/png"

    token = csrf_token(html)
    client.post(
        "/settings/profile/avatar",
        data={"csrf_token": token, "file": (io.BytesIO(b"<svg onload=alert(1)>"), "x.png")},
        content_type="multipart/form-data",
    )
    html = client.get("/settings/profile").get_data(as_text=True)
    assert "must be a PNG, JPEG, GIF or WebP image" in html
    post_form(client, "/settings/profile", "/settings/profile/avatar/remove")
    assert client.get(src).status_code == 404


# --- API keys ---------------------------------------------------------------------------------


def test_api_key_creation_switched_off_hides_the_form(client, ada):
    system_settings.update_settings({"disable_api_key_creation": True})
    login(client, "ada")
    html = client.get("/settings/api-keys").get_data(as_text=True)
    assert 'data-testid="creation-disabled"' in html and "Create API key" not in html
    refused = client.post("/settings/api-keys", data={"csrf_token": csrf_token(html), "name": "x"})
    assert refused.status_code == 403
    assert "Creating API keys is turned off" in refused.get_data(as_text=True)


def test_viewer_seats_have_no_api_keys_page(client, issue_license):
    licensing.install_license(issue_license())
    make_user("vera", seat_type="viewer")
    login(client, "vera")
    home = client.get("/").get_data(as_text=True)
    assert "/settings/api-keys" not in home
    assert client.get("/settings/api-keys").status_code == 403


# --- alerts and beta features -----------------------------------------------------------------


def test_alert_preferences_and_a_test_alert_to_a_real_webhook(client, ada, webhook_receiver):
    system_settings.update_settings({"alert_webhook_allowlist": [webhook_receiver.allowlist_entry]})
    login(client, "ada")
    saved = post_form(
        client,
        "/settings/alerts",
        "/settings/alerts",
        run_crashed_email="y",
        run_crashed_slack="y",
        slack_webhook_url=webhook_receiver.url,
    )
    assert saved.status_code == 302
    html = client.get("/settings/alerts").get_data(as_text=True)
    assert "Alert preferences saved." in html
    assert webhook_receiver.url not in html and "s3cr3t" not in html
    assert profile_service.alert_channels(ada.id, "run_crashed") == ["email", "slack"]
    assert profile_service.alert_channels(ada.id, "run_finished") == []
    post_form(client, "/settings/alerts", "/settings/alerts/test/slack")
    (hook,) = webhook_receiver.requests
    assert "Test alert" in hook["json"]["text"]
    assert "Test alert sent by Slack." in client.get("/settings/alerts").get_data(as_text=True)
    bad = post_form(
        client, "/settings/alerts", "/settings/alerts", slack_webhook_url="https://evil.test/x"
    )
    assert bad.status_code == 422 and "may not be sent to evil.test" in bad.get_data(as_text=True)


def test_beta_features_change_the_console(client, ada):
    login(client, "ada")
    assert 'class="beta-dark-mode"' not in client.get("/").get_data(as_text=True)
    post_form(client, "/settings/beta", "/settings/beta", beta="dark_mode")
    assert '<body class="beta-dark-mode">' in client.get("/").get_data(as_text=True)


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.browser
def test_markdown_that_tries_to_inject_script_does_not_run(page, ada):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, "ada", PASSWORD)
    page.goto("/settings/profile")
    page.fill("textarea[name=bio]", XSS_BIO + "\n\n<svg onload=\"alert('svg')\"></svg>")
    page.click("button:has-text('Preview intro')")
    page.wait_for_selector("[data-testid=preview] strong:has-text('Hello')")
    assert page.evaluate("window.__xss") is None
    page.click("button:has-text('Save profile')")
    page.wait_for_selector("text=Profile saved.")
    page.goto("/users/ada")
    page.wait_for_selector("[data-testid=bio] strong:has-text('Hello')")
    page.wait_for_load_state("load")  # the broken image has been tried by now
    bio = page.locator("[data-testid=bio]")
    assert bio.locator("script, svg, [onerror], [onload], a[href^='javascript']").count() == 0
    assert page.evaluate("window.__xss") is None
    assert dialogs == []


@pytest.mark.browser
def test_create_an_api_key_use_it_and_delete_it(page, live_server, ada):
    sign_in(page, "ada", PASSWORD)
    page.click("nav >> text=API keys")
    page.fill("input[name=name]", "training cluster")
    page.click("text=Create API key")
    key = page.input_value("#new-key")
    assert page.is_visible("button:has-text('Copy')")
    row = page.locator("[data-testid=api-keys] tbody tr", has_text="training cluster")
    key_id = row.locator("code").inner_text()
    assert key.startswith(key_id + "_") and key not in row.inner_text()
    assert "Never" in row.inner_text()
    headers = {"Authorization": f"Bearer {key}"}
    viewer = requests.get(f"{live_server}/api/v1/viewer", headers=headers, timeout=5)
    assert viewer.status_code == 200 and viewer.json()["username"] == "ada"
    page.goto("/settings/api-keys")
    assert "Never" not in page.locator("[data-testid=api-keys] tbody tr").inner_text()
    confirmations = []
    page.on("dialog", lambda dialog: (confirmations.append(dialog.message), dialog.accept()))
    page.click("[data-testid=api-keys] button.danger")
    page.wait_for_selector(f"text=API key {key_id} deleted")
    assert confirmations and key_id in confirmations[0]
    gone = requests.get(f"{live_server}/api/v1/viewer", headers=headers, timeout=5)
    assert gone.status_code == 401 and gone.json()["error"]["code"] == "invalid_api_key"
