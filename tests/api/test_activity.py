"""Activity: rollups recorded as things happen, and the dashboard's figures through the API."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import ActivityDaily, ActivityDayTotal, ActivityMonthly, User
from server.services import activity, licensing
from server.services.activity_report import (
    build_dashboard,
    months_before,
    period_plan,
    period_start,
)
from tests.factories import bearer, count_queries, login, make_key, make_team, make_user

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture
def frozen(app):
    app.config["OUTPOST_CLOCK"] = lambda: NOW
    return NOW


@pytest.fixture
def admin_key():
    return make_key(make_user("root", system_admin=True, password=None))


def _days_ago(n: int, hour: int = 10) -> datetime:
    return datetime.combine(TODAY - timedelta(days=n), datetime.min.time(), UTC).replace(hour=hour)


def _record(kind, user, *, days_ago=0, team=None, count=1, commit=True):
    team_id = team.id if team else None
    at = _days_ago(days_ago)
    activity.record_activity(kind, user_id=user.id, team_id=team_id, at=at, count=count)
    if commit:
        db.session.commit()


def _daily(kind, user):
    return db.session.scalars(
        select(ActivityDaily).where(ActivityDaily.kind == kind, ActivityDaily.user_id == user.id)
    ).all()


def _activity(client, key, period="30d"):
    response = client.get(f"/api/v1/system/activity?period={period}", headers=bearer(key))
    assert response.status_code == 200, response.json
    return response.json


# -- recording ---------------------------------------------------------------------------


def test_a_day_of_activity_is_one_row_per_user_with_month_and_day_totals(app):
    ada, bob = make_user("ada", password=None), make_user("bob", password=None)
    team = make_team("lab")
    for _ in range(3):
        _record("run_created", ada, team=team, days_ago=1)
    _record("run_created", ada, team=team, days_ago=2)
    _record("run_created", bob, team=team, days_ago=1, count=2)

    rows = {(r.day, r.user_id): r.count for r in db.session.scalars(select(ActivityDaily))}
    assert rows == {
        (TODAY - timedelta(days=1), ada.id): 3,
        (TODAY - timedelta(days=2), ada.id): 1,
        (TODAY - timedelta(days=1), bob.id): 2,
        # the team's own rows (user 0), which rank the most active teams
        (TODAY - timedelta(days=1), 0): 5,
        (TODAY - timedelta(days=2), 0): 1,
    }
    month = {
        (m.user_id, m.team_id): (m.days, m.count)
        for m in db.session.scalars(select(ActivityMonthly))
    }
    assert month == {(ada.id, team.id): (2, 4), (bob.id, team.id): (1, 2), (0, team.id): (2, 6)}
    total = db.session.get(ActivityDayTotal, ("run_created", TODAY - timedelta(days=1)))
    assert (total.users, total.count) == (2, 5)


def test_incremental_summaries_equal_a_rebuild_from_the_daily_rows(app):
    users = [make_user(password=None) for _ in range(6)]
    teams = [make_team(), make_team()]
    rng = random.Random(7)
    for _ in range(150):
        kind = rng.choice(activity.KINDS)
        team = rng.choice(teams) if kind == "run_created" else None
        _record(kind, rng.choice(users), days_ago=rng.randrange(70), team=team, commit=False)
    db.session.commit()

    def snapshot():
        months = db.session.execute(
            select(
                ActivityMonthly.kind,
                ActivityMonthly.month,
                ActivityMonthly.user_id,
                ActivityMonthly.team_id,
                ActivityMonthly.days,
                ActivityMonthly.count,
            )
        ).all()
        totals = db.session.execute(
            select(
                ActivityDayTotal.kind,
                ActivityDayTotal.day,
                ActivityDayTotal.users,
                ActivityDayTotal.count,
            )
        ).all()
        return sorted(months), sorted(totals)

    incremental = snapshot()
    activity.rebuild_summaries()
    assert snapshot() == incremental
    assert len(incremental[0]) > 10


def test_bad_kinds_and_counts_are_programming_errors(app):
    user = make_user()
    with pytest.raises(ValueError, match="unknown activity kind"):
        activity.record_activity("page_view", user_id=user.id)
    with pytest.raises(ValueError, match="at least 1"):
        activity.record_activity("login", user_id=user.id, count=0)
    with pytest.raises(ValueError, match="at least 1"):
        activity.record_activity("run_created", user_id=0, team_id=1)
    with pytest.raises(ValueError, match="aware datetime"):
        activity.record_activity("login", user_id=user.id, at=datetime(2026, 1, 1))


def test_api_key_use_marks_the_user_active_once_a_day(client, app):
    user = make_user("ada")
    key = make_key(user)
    assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 200
    assert [r.count for r in _daily("active", user)] == [1]
    # Past the once-a-minute write window, but still the same UTC day: nothing more is written.
    now = datetime.now(UTC)
    earlier = max(
        now.replace(hour=0, minute=0, second=0, microsecond=0), now - timedelta(minutes=5)
    )
    db.session.execute(User.__table__.update().values(last_active_at=earlier))
    db.session.execute(db.metadata.tables["api_keys"].update().values(last_used_at=earlier))
    db.session.commit()
    assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 200
    assert [r.count for r in _daily("active", user)] == [1]
    # A previous activity on another day makes today's first request count again.
    db.session.execute(User.__table__.update().values(last_active_at=now - timedelta(days=3)))
    db.session.execute(
        db.metadata.tables["api_keys"].update().values(last_used_at=now - timedelta(days=3))
    )
    db.session.commit()
    assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 200
    today = activity.utc_day(datetime.now(UTC))
    assert [r.day for r in _daily("active", user)] == [today]


def test_service_accounts_are_not_counted_as_active_users(client, app):
    team = make_team("lab")
    bot = User(username="lab-bot", kind="service_account", service_team_id=team.id)
    db.session.add(bot)
    db.session.commit()
    key = make_key(bot)
    assert client.get("/api/v1/viewer", headers=bearer(key)).status_code == 200
    assert _daily("active", bot) == []


def test_signing_in_counts_a_login_and_the_day_once(client, app):
    user = make_user("ada")
    assert login(client, "ada").status_code == 302
    assert login(app.test_client(), "ada").status_code == 302
    assert [r.count for r in _daily("login", user)] == [2]
    assert [r.count for r in _daily("active", user)] == [1]
    login(client, "ada", "wrong password")
    assert [r.count for r in _daily("login", user)] == [2]


# -- the dashboard -----------------------------------------------------------------------


@pytest.fixture
def seeded(frozen, issue_license):
    """ada active 3 of the last 30 days, bob 2 (one 10 days ago), carol 40 days ago only;
    runs in two teams; 10 licensed seats."""
    licensing.install_license(issue_license(now=NOW - timedelta(days=1), seats=10))
    ada = make_user("ada", display_name="Ada L.", password=None)
    bob, carol = make_user("bob", password=None), make_user("carol", password=None)
    make_user("viewer1", seat_type="viewer", password=None)
    lab, ops = make_team("lab", display_name="Lab"), make_team("ops")
    for n in (0, 1, 5):
        _record("active", ada, days_ago=n)
    for n in (1, 10):
        _record("active", bob, days_ago=n)
    _record("active", carol, days_ago=40)
    _record("run_created", ada, team=lab, days_ago=1, count=4)
    _record("run_created", bob, team=ops, days_ago=1)
    _record("run_created", bob, team=ops, days_ago=3, count=2)
    _record("login", ada, days_ago=1)
    return {"ada": ada, "bob": bob, "carol": carol, "lab": lab, "ops": ops}


def test_the_dashboard_shows_active_users_runs_and_rankings(client, admin_key, seeded):
    body = _activity(client, admin_key)
    assert body["period"] == "30d"
    assert body["start"] == (TODAY - timedelta(days=29)).isoformat()
    assert body["end"] == TODAY.isoformat()
    active = {p["day"]: p["users"] for p in body["active_users"]}
    assert len(active) == 30
    assert active[TODAY.isoformat()] == 1
    assert active[(TODAY - timedelta(days=1)).isoformat()] == 2
    assert active[(TODAY - timedelta(days=2)).isoformat()] == 0
    assert body["active"] == {"dau": 1, "wau": 2, "mau": 2}
    runs = {p["day"]: p["runs"] for p in body["runs_created"]}
    assert runs[(TODAY - timedelta(days=1)).isoformat()] == 5
    assert runs[(TODAY - timedelta(days=3)).isoformat()] == 2
    assert [(u["username"], u["active_days"]) for u in body["top_users"]] == [
        ("ada", 3),
        ("bob", 2),
    ]
    assert body["top_users"][0]["display_name"] == "Ada L."
    assert [(t["team"], t["runs_created"]) for t in body["top_teams"]] == [("lab", 4), ("ops", 3)]
    assert body["users_by_state"]["active"] == {"full": 4, "viewer": 1}
    assert body["seats"] == {"used": 4, "licensed": 10}
    assert body["data_since"] == (TODAY - timedelta(days=40)).isoformat()


def test_longer_periods_reach_further_back(client, admin_key, seeded):
    body = _activity(client, admin_key, "3m")
    assert body["start"] == (months_before(TODAY, 3) + timedelta(days=1)).isoformat()
    assert [(u["username"], u["active_days"]) for u in body["top_users"]] == [
        ("ada", 3),
        ("bob", 2),
        ("carol", 1),
    ]
    everything = _activity(client, admin_key, "all")
    assert everything["start"] == (TODAY - timedelta(days=40)).isoformat()
    assert len(everything["active_users"]) == 41


def test_an_unknown_period_is_refused(client, admin_key):
    response = client.get("/api/v1/system/activity?period=week", headers=bearer(admin_key))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert response.json["error"]["errors"][0]["field"] == "period"


def test_most_active_users_match_a_count_of_the_daily_rows(app, frozen):
    """Whole months come from the monthly rollup and the edges from the daily one; for every
    period, and with today in the middle, at the end or at the start of a month, the ranking
    must equal a plain count of daily rows up to today."""
    users = [make_user(password=None) for _ in range(12)]
    by_name = {u.id: u.username for u in users}
    rng = random.Random(11)
    for user in users:
        for n in rng.sample(range(-20, 420), rng.randrange(1, 40)):
            _record("active", user, days_ago=n, commit=False)
    db.session.commit()
    days = [(row.user_id, row.day) for row in db.session.scalars(select(ActivityDaily))]
    for today in (TODAY, date(2026, 3, 31), date(2026, 4, 1)):
        app.config["OUTPOST_CLOCK"] = lambda today=today: datetime.combine(
            today, datetime.min.time(), UTC
        ).replace(hour=12)
        for period in ("30d", "3m", "6m", "12m", "all"):
            dashboard = build_dashboard(period)
            start = period_start(period, today, dashboard.earliest)
            counted = {}
            for user_id, day in days:
                if start <= day <= today:
                    counted[user_id] = counted.get(user_id, 0) + 1
            ranked = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:10]  # ties: id
            want = [(by_name[user_id], n) for user_id, n in ranked]
            assert [(r.name, r.value) for r in dashboard.top_users] == want, (today, period)


def test_a_period_reads_each_edge_month_the_cheaper_way():
    # 2 Dec to 1 Dec: December 2025 is its month minus 1 December; the current month is its
    # monthly row (days after today have no rows yet).
    plan = period_plan(date(2025, 12, 2), date(2026, 12, 1))
    assert plan.months == (date(2025, 12, 1), date(2026, 12, 1))
    assert plan.add == ()
    assert plan.subtract == (
        (date(2025, 12, 1), date(2025, 12, 1)),
        (date(2026, 12, 2), date(2026, 12, 31)),
    )
    # 28 Jan to 15 Mar: four days of January are cheaper than January minus 27 days.
    plan = period_plan(date(2026, 1, 28), date(2026, 3, 15))
    assert plan.add == ((date(2026, 1, 28), date(2026, 1, 31)),)
    assert plan.months == (date(2026, 2, 1), date(2026, 3, 1))
    assert plan.subtract == ((date(2026, 3, 16), date(2026, 3, 31)),)


def test_period_arithmetic_clamps_to_the_end_of_short_months():
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 12) == date(2025, 1, 15)
    assert period_start("30d", date(2026, 3, 15), None) == date(2026, 2, 14)


def test_a_dashboard_costs_the_same_queries_with_more_data(client, admin_key, seeded):
    def queries():
        with count_queries() as seen:
            _activity(client, admin_key, "12m")
        return seen

    _activity(client, admin_key)  # the key's first use of the day writes last-used
    small = queries()
    more = [make_user(seat_type="viewer", password=None) for _ in range(15)]
    teams = [make_team() for _ in range(6)]
    for n, user in enumerate(more):
        for days_ago in range(0, 200, 25):
            _record("active", user, days_ago=days_ago + n, commit=False)
            _record("run_created", user, team=teams[n % 6], days_ago=days_ago, commit=False)
    db.session.commit()
    assert len(queries()) == len(small)
    assert len(small) <= 12, small


def test_only_system_admins_see_activity(client):
    member = make_key(make_user("member"))
    response = client.get("/api/v1/system/activity", headers=bearer(member))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "permission_denied"
    assert client.get("/api/v1/system/activity").status_code == 401
