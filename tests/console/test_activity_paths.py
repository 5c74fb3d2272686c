"""Every way a person becomes active counts them on the activity dashboard, once a day.

The dashboard's daily active users come from the ``active`` rollup rows; these tests walk each
path (setup link, user invitation, team invitation, sign-up, sign-in, console use, API key)
through the real app and read the figure the dashboard shows.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.extensions import db
from server.models import ActivityDaily, ActivityDayTotal, User
from server.services import setup as setup_service
from server.services import system_settings, user_invites
from tests.console.helpers import signed_in
from tests.factories import PASSWORD, bearer, csrf_token, login, make_key, make_team, make_user


def _today():
    return datetime.now(UTC).date()


def _active_days(username) -> list:
    """(day, count) of the user's ``active`` rows: one per day they were active."""
    user = db.session.scalar(select(User).where(User.username == username))
    rows = db.session.scalars(
        select(ActivityDaily).where(
            ActivityDaily.kind == "active", ActivityDaily.user_id == user.id
        )
    ).all()
    return [(row.day, row.count) for row in rows]


def _dau_today() -> int:
    total = db.session.get(ActivityDayTotal, ("active", _today()))
    return total.users if total else 0


def _post_form(client, path, **fields):
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def test_the_admin_who_set_up_the_instance_is_counted(client):
    token = setup_service.issue_setup_token()
    response = _post_form(
        client,
        f"/setup/{token}",
        username="root",
        email="root@example.test",
        password=PASSWORD,
        confirm=PASSWORD,
    )
    assert response.status_code == 302
    assert _active_days("root") == [(_today(), 1)]
    assert _dau_today() == 1


def test_an_invited_user_who_joins_and_signs_in_the_same_day_counts_once(client, app):
    result = user_invites.invite_user("bob@example.test")
    path = "/invite/" + result.link.rsplit("/", 1)[1]
    password = "a long enough password"
    joined = _post_form(
        client, path, username="bob", display_name="Bob", password=password, confirm=password
    )
    assert joined.status_code == 302, joined.get_data(as_text=True)
    assert login(app.test_client(), "bob", password).status_code == 302
    assert _active_days("bob") == [(_today(), 1)]
    assert _dau_today() == 1


def test_someone_joining_through_a_team_invitation_is_counted(client):
    ada = make_user("ada", password=None)
    make_team("lab", admins=[ada])
    invited = client.post(
        "/api/v1/teams/lab/members",
        json={"email": "new@example.test", "role": "member"},
        headers=bearer(make_key(ada)),
    )
    path = "/invitations/" + invited.json["invite_url"].rsplit("/", 1)[1]
    password = "a-long-enough-password"
    created = _post_form(client, path, username="newbie", password=password, confirm=password)
    assert created.status_code == 302, created.get_data(as_text=True)
    assert _active_days("newbie") == [(_today(), 1)]


def test_signing_up_counts(client):
    system_settings.update_settings({"signup_mode": "open"})
    password = "a-long-enough-password"
    response = _post_form(
        client,
        "/signup",
        username="sam",
        email="sam@example.test",
        password=password,
        confirm=password,
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _active_days("sam") == [(_today(), 1)]


def test_console_use_on_a_later_day_counts_that_day(client):
    eve = make_user("eve", password=None)
    console = signed_in(client, eve)
    assert _active_days("eve") == [(_today(), 1)]
    # Signed in three days ago, never signed out: using the console today counts today.
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    db.session.execute(ActivityDaily.__table__.update().values(day=three_days_ago.date()))
    db.session.execute(User.__table__.update().values(last_active_at=three_days_ago))
    db.session.commit()
    assert console.get("/").status_code == 200
    assert console.get("/").status_code == 200  # a second request the same day: no more
    assert sorted(_active_days("eve")) == [(three_days_ago.date(), 1), (_today(), 1)]


def test_signing_in_and_an_api_key_the_same_day_count_once(client, app):
    ada = make_user("ada")
    assert client.get("/api/v1/viewer", headers=bearer(make_key(ada))).status_code == 200
    assert login(app.test_client(), "ada").status_code == 302
    assert _active_days("ada") == [(_today(), 1)]
    assert _dau_today() == 1
