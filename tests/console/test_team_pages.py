"""Team pages in the console: home (profile), members, service accounts, privacy, registry,
storage. Controls follow ``can`` on the team; admin URLs refuse members (403) and hide the
team from outsiders (404). The last tests drive the pages in headless Chromium."""

import re

import pytest

from server.extensions import db
from server.models import Membership, Project, User
from server.services import licensing, projects
from tests.factories import (
    PASSWORD,
    add_member,
    bearer,
    count_queries,
    csrf_token,
    login,
    make_team,
    make_user,
)
from tests.fixtures.browser import sign_in


@pytest.fixture
def lab():
    alice = make_user("alice", display_name="Alice Admin")
    bob = make_user("bob", display_name="Bob Member")
    team = make_team("lab", display_name="Vision Lab", admins=[alice], members=[bob])
    make_user("outsider")
    return team


def page_text(client, url):
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def post_form(client, page_url, target, **fields):
    """Submit a form of ``page_url`` the way a browser would (its CSRF token included)."""
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(target, data={"csrf_token": token, **fields})


def person(username: str) -> User:
    return db.session.scalar(db.select(User).where(User.username == username))


# --- members ----------------------------------------------------------------------------------


def test_admin_sees_controls_and_the_single_admin_warning(client, lab):
    login(client, "alice")
    status, html = page_text(client, "/teams/lab/members")
    assert status == 200
    assert 'data-testid="invite-form"' in html
    assert 'action="/teams/lab/members/bob/role"' in html
    assert 'action="/teams/lab/members/bob/remove"' in html
    assert "lab has a single admin (alice)" in html


def test_member_sees_the_list_without_controls_and_admin_urls_refuse(client, lab):
    login(client, "bob")
    status, html = page_text(client, "/teams/lab/members")
    assert status == 200 and "Alice Admin" in html and "Bob Member" in html
    assert "invite-form" not in html and "/remove" not in html and "/role" not in html
    assert "Profile settings" not in html
    token = csrf_token(html)
    assert client.get("/teams/lab/profile").status_code == 403
    for url, data in [
        ("/teams/lab/members", {"email": "x@example.test", "role": "member"}),
        ("/teams/lab/members/alice/role", {"role": "member"}),
        ("/teams/lab/members/alice/remove", {}),
        ("/teams/lab/members/alice/registry-admin", {"registry_admin": "on"}),
        ("/teams/lab/profile", {"display_name": "Taken over"}),
        ("/teams/lab/service-accounts", {"name": "ci"}),
    ]:
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 403, url
        assert "You cannot open this" in response.get_data(as_text=True)
    alice = person("alice")
    assert db.session.scalar(db.select(Membership.role).where(Membership.user_id == alice.id)) == (
        "admin"
    )


def test_outsiders_do_not_learn_that_a_members_only_team_exists(client, lab):
    login(client, "outsider")
    for url in ("/teams/lab", "/teams/lab/members", "/teams/lab/privacy", "/teams/lab/storage"):
        assert client.get(url).status_code == 404, url


def test_invite_existing_user_joins_and_unknown_email_gets_a_link(client, lab):
    make_user("carol", email="carol@example.test")
    login(client, "alice")
    joined = post_form(
        client,
        "/teams/lab/members",
        "/teams/lab/members",
        email="carol@example.test",
        role="member",
    )
    assert joined.status_code == 302
    assert "carol" in page_text(client, "/teams/lab/members")[1]
    invited = post_form(
        client, "/teams/lab/members", "/teams/lab/members", email="dan@example.test", role="admin"
    )
    assert invited.status_code == 302  # shown after a redirect: a reload invites nobody twice
    html = client.get(invited.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="invite-link"' in html
    # No SMTP here: the e-mail did not go out, so the result is a warning, not a green success.
    assert "flash-warning" in html and "invitation e-mail was not sent" in html
    assert re.search(r'value="http://127\.0\.0\.1:8080/invitations/[\w-]+"', html)


def test_role_changes_and_the_last_admin_is_kept(client, lab):
    login(client, "alice")
    post_form(client, "/teams/lab/members", "/teams/lab/members/bob/role", role="admin")
    status, html = page_text(client, "/teams/lab/members")
    assert "single admin" not in html
    post_form(client, "/teams/lab/members", "/teams/lab/members/bob/role", role="member")
    refused = post_form(
        client, "/teams/lab/members", "/teams/lab/members/alice/role", role="member"
    )
    assert refused.status_code == 302
    html = page_text(client, "/teams/lab/members")[1]
    assert "alice is the last admin of lab" in html
    unknown = post_form(client, "/teams/lab/members", "/teams/lab/members/bob/role", role="owner")
    assert unknown.status_code == 302
    assert "Choose one of the roles offered" in page_text(client, "/teams/lab/members")[1]


def test_view_only_and_custom_roles_are_offered_only_when_licensed(client, lab, issue_license):
    login(client, "alice")
    html = page_text(client, "/teams/lab/members")[1]
    assert 'value="view-only"' not in html
    licensing.install_license(issue_license())
    from server.services import roles

    roles.create_role("auditor", "view-only", ["artifact:download"])
    html = page_text(client, "/teams/lab/members")[1]
    assert 'value="view-only"' in html and 'value="auditor"' in html
    post_form(client, "/teams/lab/members", "/teams/lab/members/bob/role", role="auditor")
    assert "bob is now auditor" in page_text(client, "/teams/lab/members")[1]


def test_remove_member_keeps_what_they_made(client, lab):
    bob = person("bob")
    project = projects.create_project(bob, lab, "bobs-project")
    login(client, "alice")
    post_form(client, "/teams/lab/members", "/teams/lab/members/bob/remove")
    html = page_text(client, "/teams/lab/members")[1]
    assert "bob was removed from lab" in html and 'data-member="bob"' not in html
    assert db.session.get(Project, project.id).created_by_id == bob.id


def test_members_list_is_paginated(client, lab):
    for n in range(55):
        add_member(lab, make_user(f"m{n:02d}", password=None))
    login(client, "alice")
    html = page_text(client, "/teams/lab/members")[1]
    assert html.count("data-member=") == 50
    cursor = re.search(r'href="\?cursor=([^"]+)"', html).group(1)
    second = page_text(client, f"/teams/lab/members?cursor={cursor}")[1]
    assert second.count("data-member=") == 7 and "Next page" not in second


def test_members_page_costs_the_same_queries_for_few_or_many_members(client, lab):
    login(client, "alice")
    with count_queries() as few:
        assert client.get("/teams/lab/members").status_code == 200
    for n in range(20):
        add_member(lab, make_user(f"q{n:02d}", password=None))
    with count_queries() as many:
        assert client.get("/teams/lab/members").status_code == 200
    assert len(many) == len(few), (len(few), len(many))


# --- home and profile -------------------------------------------------------------------------


def test_team_profile_is_edited_with_a_sanitised_preview(client, lab):
    projects.create_project(
        person("alice"), lab, "detector", visibility="public", description="Boxes"
    )
    projects.create_project(person("alice"), lab, "secret-model")
    from server.services import reports

    report = reports.create_report(
        person("alice"),
        projects.load_project(lab, "detector"),
        title="Q3 results",
        description="",
        body="",
    )
    login(client, "alice")
    intro = (
        "# Vision Lab\n\n[![Follow](https://img.shields.io/badge/follow-us-blue)](https://x.test)"
        '\n\n<script>alert(1)</script><img src="x" onerror="alert(2)">'
    )
    preview = post_form(
        client,
        "/teams/lab/profile",
        "/teams/lab/profile",
        action="preview",
        display_name="Vision Lab",
        intro=intro,
        profile_visibility="members",
        links="",
    )
    html = preview.get_data(as_text=True)
    shown = html.split('data-testid="preview"', 1)[1].split("<label>", 1)[0]
    assert "<h1>Vision Lab</h1>" in shown
    assert "<script" not in shown and "onerror" not in shown and 'src="x"' in shown
    assert db.session.get(type(lab), lab.id).intro == ""  # a preview saves nothing

    bad = post_form(
        client,
        "/teams/lab/profile",
        "/teams/lab/profile",
        action="save",
        display_name="Vision Lab",
        intro=intro,
        profile_visibility="public",
        links="Evil | javascript:alert(1)",
    )
    assert bad.status_code == 422 and "is not &#39;label | https://…&#39;" in bad.get_data(
        as_text=True
    )
    saved = post_form(
        client,
        "/teams/lab/profile",
        "/teams/lab/profile",
        action="save",
        display_name="Vision Lab",
        intro=intro,
        profile_visibility="public",
        links="Lab website | https://lab.example.org\nhttps://papers.example.org",
        showcase=["detector", "secret-model"],
        showcase_reports=[str(report.id)],
    )
    assert saved.status_code == 302
    html = page_text(client, "/teams/lab")[1]
    # Remote images are off by default (markdown_remote_images): the badge is named, not fetched.
    assert 'src="https://img.shields.io/badge/follow-us-blue"' not in html
    assert "Image: Follow" in html
    assert "<script>alert" not in html and "onerror" not in html
    assert 'href="https://lab.example.org"' in html and "Lab website" in html
    assert "detector" in html and "secret-model" in html and "Q3 results" in html


def test_public_profile_is_seen_by_every_signed_in_user_with_public_projects_only(client, lab):
    admin = person("alice")
    public = projects.create_project(admin, lab, "detector", visibility="public")
    private = projects.create_project(admin, lab, "secret-model")
    from server.services import reports, teams

    shown = reports.create_report(admin, public, title="Detector results", description="", body="")
    hidden = reports.create_report(admin, private, title="Unreleased", description="", body="")
    showcase = [{"kind": "project", "name": n} for n in ("detector", "secret-model")] + [
        {"kind": "report", "id": r.id} for r in (shown, hidden)
    ]
    teams.update_team(lab, {"profile_visibility": "public", "intro": "Hi", "showcase": showcase})
    login(client, "outsider")
    status, html = page_text(client, "/teams/lab")
    assert status == 200 and "Vision Lab" in html and "detector" in html
    assert "Detector results" in html
    assert "secret-model" not in html and "Unreleased" not in html
    assert 'aria-label="Team"' not in html  # no tabs for non-members
    assert client.get("/teams/lab/members").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(html)})
    for url in ("/teams/lab", "/teams/no-such-team"):  # existing or not: the same answer
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_teams_index_lists_my_teams(client, lab):
    make_team("nlp", admins=[make_user("zed")])
    login(client, "bob")
    html = page_text(client, "/teams")[1]
    assert "Vision Lab" in html and "nlp" not in html and "2 members" in html


# --- privacy, storage, registry, service accounts ---------------------------------------------


def test_admin_changes_project_privacy_and_members_only_read_it(client, lab):
    projects.create_project(person("bob"), lab, "detector")
    login(client, "bob")
    html = page_text(client, "/teams/lab/privacy")[1]
    assert "detector" in html and "/teams/lab/privacy/detector" not in html
    client.post("/logout", data={"csrf_token": csrf_token(html)})
    login(client, "alice")
    post_form(client, "/teams/lab/privacy", "/teams/lab/privacy/detector", visibility="public")
    assert "detector is now public" in page_text(client, "/teams/lab/privacy")[1]
    assert db.session.scalar(db.select(Project.visibility)) == "public"


def test_storage_page_says_where_data_lives_and_that_it_cannot_move(client, lab):
    lab.bucket, lab.storage_config = "outpost-lab", {"provider": "filesystem"}
    db.session.commit()
    login(client, "bob")
    html = page_text(client, "/teams/lab/storage")[1]
    assert "outpost-lab" in html and "Internal (instance storage)" in html
    assert "Storage cannot be migrated." in html


def test_registry_admins_are_managed_by_team_admins(client, lab):
    login(client, "alice")
    post_form(client, "/teams/lab/registry", "/teams/lab/registry/admins", username="bob")
    html = page_text(client, "/teams/lab/registry")[1]
    assert "bob is now a registry admin" in html and "registry admin</span>" in html
    post_form(client, "/teams/lab/registry", "/teams/lab/registry/admins/bob/remove")
    assert "bob is no longer a registry admin" in page_text(client, "/teams/lab/registry")[1]


def test_protected_aliases_are_managed_by_registry_admins_only(client, lab):
    login(client, "alice")  # a team admin who is not a registry admin
    html = page_text(client, "/teams/lab/registry")[1]
    assert 'data-testid="protect-alias-form"' not in html
    refused = client.post(
        "/teams/lab/registry/protected-aliases",
        data={"csrf_token": csrf_token(html), "alias": "production"},
    )
    assert refused.status_code == 403
    post_form(client, "/teams/lab/registry", "/teams/lab/registry/admins", username="bob")
    client.post("/logout", data={"csrf_token": csrf_token(html)})

    login(client, "bob")
    post_form(
        client,
        "/teams/lab/registry",
        "/teams/lab/registry/protected-aliases",
        alias="production",
    )
    html = page_text(client, "/teams/lab/registry")[1]
    assert "production is now protected" in html and 'data-alias="production"' in html
    again = post_form(
        client, "/teams/lab/registry", "/teams/lab/registry/protected-aliases", alias="production"
    )
    assert again.status_code == 302
    assert "is protected already" in page_text(client, "/teams/lab/registry")[1]
    post_form(
        client, "/teams/lab/registry", "/teams/lab/registry/protected-aliases/production/remove"
    )
    html = page_text(client, "/teams/lab/registry")[1]
    assert "production is no longer protected" in html and 'data-alias="production"' not in html


def test_service_accounts_need_a_license_and_show_the_key_once(client, lab, issue_license):
    login(client, "alice")
    html = page_text(client, "/teams/lab/service-accounts")[1]
    assert "needs an enterprise license" in html
    licensing.install_license(issue_license())
    created = post_form(
        client,
        "/teams/lab/service-accounts",
        "/teams/lab/service-accounts",
        name="ci",
        description="Nightly training",
    )
    assert created.status_code == 302
    html = client.get(created.headers["Location"]).get_data(as_text=True)
    key = re.search(r'id="new-key" readonly value="([^"]+)"', html).group(1)
    assert client.get("/api/v1/viewer", headers=bearer(key)).json["username"] == "lab-ci"
    listing = page_text(client, "/teams/lab/service-accounts")[1]
    assert "lab-ci" in listing and key not in listing
    post_form(client, "/teams/lab/service-accounts", "/teams/lab/service-accounts/ci/delete")
    assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 401


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.browser
def test_team_admin_invites_a_member_and_changes_their_role(page, lab):
    make_user("carol", email="carol@example.test", display_name="Carol")
    sign_in(page, "alice", PASSWORD)
    page.goto("/teams/lab/members")
    assert page.is_visible("[data-testid=single-admin-warning]")
    page.fill("[data-testid=invite-form] input[name=email]", "carol@example.test")
    page.select_option("[data-testid=invite-form] select[name=role]", "member")
    page.click("[data-testid=invite-form] button[type=submit]")
    page.wait_for_selector("text=carol joined lab.")
    row = page.locator("tr[data-member=carol]")
    row.locator("select[name=role]").select_option("admin")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button:has-text('Change')").click()
    page.wait_for_selector("text=carol is now admin.")
    assert page.locator("tr[data-member=carol] select[name=role]").input_value() == "admin"
    assert not page.is_visible("[data-testid=single-admin-warning]")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("tr[data-member=bob] button:has-text('Remove')").click()
    page.wait_for_selector("text=bob was removed from lab.")
    assert page.locator("tr[data-member=bob]").count() == 0


@pytest.mark.browser
def test_member_sees_no_admin_controls_and_gets_403_on_admin_urls(page, lab):
    sign_in(page, "bob", PASSWORD)
    page.goto("/teams/lab/members")
    assert page.locator("tr[data-member=alice]").is_visible()
    assert page.locator("[data-testid=invite-form]").count() == 0
    assert page.locator("button:has-text('Remove')").count() == 0
    assert page.locator("select[name=role]").count() == 0
    assert page.locator("text=Edit profile").count() == 0
    response = page.goto("/teams/lab/profile")
    assert response.status == 403
    assert "You cannot open this" in page.content()
    page.goto("/teams/lab/privacy")
    assert page.locator("select[name=visibility]").count() == 0
