"""Open redirects: a ``next`` that names another site (however disguised) never leaves Outpost.

Each payload is sent as the raw query string an attacker would put in a link; the signed-in user
lands on the home page instead, and nothing answers 500.
"""

import pytest

from server.redirects import is_safe_path
from tests.factories import PASSWORD, csrf_token, make_user

# Raw (already URL-encoded) values of ?next=, as they would appear in a link.
HOSTILE_NEXT = [
    "/%09/evil.example",  # tab: browsers drop it and read //evil.example
    "/%0A/x",  # newline: was a 500 (header injection refused by Werkzeug)
    "/%0D/x",  # carriage return: was a 500
    "/%0D%0ASet-Cookie:%20x=1",
    "/%7F/evil.example",
    "%09//evil.example",
    "%20//evil.example",
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "%2F%2Fevil.example",
    "/%5Cevil.example",  # backslash: browsers read /\ as //
    "%5C%5Cevil.example",
    "/%5C/evil.example",
    "https://evil.example/",
    "https:evil.example",
    "http:/evil.example",
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "/%E2%80%A8/evil.example",  # Unicode line separator
    "/%C2%A0/evil.example",  # no-break space
]

SAFE_NEXT = [
    ("/settings/profile", "/settings/profile"),
    ("/teams/alpha%3Ftab%3Dmembers", "/teams/alpha?tab=members"),
    ("/admin/users%3Fq%3Dada%26page%3D2", "/admin/users?q=ada&page=2"),
]


def _sign_in_with_next(client, raw_next: str):
    page = client.get(f"/login?next={raw_next}")
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        f"/login?next={raw_next}",
        data={"login": "ada", "password": PASSWORD, "csrf_token": token},
    )


@pytest.mark.parametrize("raw_next", HOSTILE_NEXT)
def test_sign_in_never_redirects_off_site(client, raw_next):
    make_user("ada")
    response = _sign_in_with_next(client, raw_next)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_nul_in_next_is_a_clean_400(client):
    response = client.get("/login?next=/%00/evil.example")
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize(("raw_next", "expected"), SAFE_NEXT)
def test_sign_in_follows_a_path_on_this_site(client, raw_next, expected):
    make_user("ada")
    response = _sign_in_with_next(client, raw_next)
    assert response.headers["Location"] == expected


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example", "", None],
)
def test_is_safe_path_refuses_other_origins(target):
    assert not is_safe_path(target)


def test_admin_user_change_returns_only_to_the_users_page(admin):
    make_user("bob")
    for hostile in ("//evil.example/admin/users", "/%09/evil.example", "/\t/admin/users"):
        response = admin.post(
            "/admin/users/bob/change", data={"change": "promote", "next": hostile}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/admin/users"
    kept = admin.post(
        "/admin/users/bob/change", data={"change": "demote", "next": "/admin/users?q=bob"}
    )
    assert kept.headers["Location"] == "/admin/users?q=bob"


@pytest.mark.browser
def test_browser_sign_in_with_hostile_next_stays_on_outpost(page, live_server):
    make_user("ada", display_name="Ada")
    page.goto("/login?next=/%09/evil.example")
    page.fill("input[name=login]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    assert page.url == f"{live_server}/"
    assert "Welcome, Ada" in page.content()


@pytest.mark.browser
def test_browser_sign_in_with_a_site_path_goes_there(page, live_server):
    make_user("ada")
    page.goto("/settings/profile")  # redirected to /login?next=/settings/profile
    assert "/login" in page.url
    sign_in_url = page.url
    assert "next=" in sign_in_url
    page.fill("input[name=login]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/settings/profile")
