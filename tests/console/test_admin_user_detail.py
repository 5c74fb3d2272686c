"""Admin › Users › a person: identity edits with errors by field, keys revoked, teams, activity,
and every access change behind a confirmation."""

from sqlalchemy import select

from server.extensions import db
from server.models import ApiKey, User
from tests.console.helpers import html
from tests.factories import bearer, make_key, make_team, make_user


def test_the_user_page_shows_account_teams_keys_and_activity(admin, client):
    ada = make_user("ada", display_name="Ada L.", password=None)
    make_team("lab", members=[ada])
    key = make_key(ada)
    assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 200  # active today
    listing = html(admin.get("/admin/users"))
    assert 'href="/admin/users/ada"' in listing
    page = html(admin.get("/admin/users/ada"))
    assert "Ada L." in page and "<code>ada</code>" in page
    assert ">lab</a>" in page and "member" in page
    assert f'data-key="{key[:15]}"' in page
    assert "Active on 1 of the last 30 days" in page
    assert 'data-confirm="Deactivate ada? They are signed out at once' in page
    assert "Their runs, reports and artifacts stay with their teams" in page
    assert admin.get("/admin/users/nobody").status_code == 404


def test_an_admin_edits_name_and_email_with_errors_by_field(admin):
    make_user("ada", password=None)
    make_user("bob", password=None)
    bad = admin.post(
        "/admin/users/ada/identity", {"display_name": "Ada", "email": "bob@example.test"}
    )
    assert bad.status_code == 409
    assert 'data-testid="error-email">Another user already has this e-mail' in html(bad)
    saved = admin.post(
        "/admin/users/ada/identity", {"display_name": "Ada Lovelace", "email": "ada@lab.test"}
    )
    assert saved.status_code == 302 and saved.headers["Location"] == "/admin/users/ada"
    ada = db.session.scalar(select(User).where(User.username == "ada"))
    assert (ada.display_name, ada.email) == ("Ada Lovelace", "ada@lab.test")
    assert "ada: name and e-mail saved." in html(admin.get("/admin/users/ada"))


def test_an_admin_revokes_a_users_key(admin, client):
    ada = make_user("ada", password=None)
    key = make_key(ada)
    response = admin.post(f"/admin/users/ada/api-keys/{key[:15]}/delete")
    assert response.status_code == 302
    assert db.session.query(ApiKey).count() == 0
    assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 401


def test_access_changes_return_to_the_user_page(admin):
    make_user("ada", password=None)
    response = admin.post(
        "/admin/users/ada/change", {"change": "deactivate", "next": "/admin/users/ada"}
    )
    assert response.headers["Location"] == "/admin/users/ada"
    assert 'data-testid="user-state">deactivated' in html(admin.get("/admin/users/ada"))
