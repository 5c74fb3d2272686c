"""Benchmark: the activity dashboard and filtered audit-log pages over 1,000,000 events.

Loads 10,000 users, 200 teams and 1,000,000 activity events spread over a year into a fresh
database. Every event is stored raw in the audit log and counted into the activity rollups as
``record_activity`` would count it (the daily rows are loaded in bulk, then
``rebuild_summaries`` derives the monthly rollups and day totals, which the test suite checks
equal incremental recording). Then it times console pages and API calls in process with the
Flask test client (templates and SVG charts included) and prints the median, p90 and SQL
queries of each. Runs on SQLite and on a throwaway PostgreSQL cluster started like
``tests/fixtures/postgres.py`` does. Target: every median under 300 ms.

    python bench/dashboard.py [--events 1000000] [--users 10000] [--teams 200] [--repeat 15]
                              [--backend sqlite] [--backend postgresql] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.factories import bearer, login  # noqa: E402
from tests.fixtures.ports import free_port  # noqa: E402

TARGET_MS = 300
PASSWORD = "bench-password-0123"
OTHER_ACTIONS = [
    "team:update",
    "member:add",
    "member:update",
    "member:remove",
    "api_key:create",
    "api_key:delete",
    "user:password_change",
    "role:update",
]
AUDIT_COLUMNS = (
    "created_at, actor_id, actor_name, actor_ip, action, target_type, target_id, target_name, "
    "team_id, result, details"
)


@contextmanager
def temp_postgres():
    """A PostgreSQL cluster in a temporary directory on 127.0.0.1, stopped afterwards."""
    from tests.fixtures.postgres import _as_postgres, _pg_bin, _wait_until_accepting

    bindir, root = _pg_bin(), Path(tempfile.mkdtemp(prefix="outpost-bench-pg-"))
    data, sock, log = root / "data", root / "sock", root / "server.log"
    sock.mkdir()
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
    subprocess.run(
        _as_postgres([*initdb, "-E", "UTF8", "--no-sync"]), check=True, capture_output=True
    )
    port = free_port()
    options = f"-h 127.0.0.1 -p {port} -k {sock} -c fsync=off -c shared_buffers=256MB"
    pg_ctl = str(bindir / "pg_ctl")
    start = [pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]
    subprocess.run(_as_postgres(start), check=True, capture_output=True)
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        _wait_until_accepting(dsn, log)
        yield dsn
    finally:
        stop = [pg_ctl, "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(_as_postgres(stop), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def make_app(database_url: str, data_dir: str):
    from flask_migrate import upgrade

    from server import create_app
    from server.extensions import db

    app = create_app(
        {
            "database_url": database_url,
            "data_dir": data_dir,
            "secret_key": "bench-secret-key-" + "x" * 32,
            "log_level": "WARNING",
            "log_format": "text",
        }
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def load_people(n_users: int, n_teams: int, rng: random.Random) -> dict:
    """Users and teams in bulk, one system admin (with a password and an API key), and a
    cached storage measurement per team."""
    from server.extensions import db
    from server.models import Team, TeamStorageUsage, User
    from server.services import api_keys, users

    now = datetime.now(UTC)
    states = ["active"] * 90 + ["deactivated"] * 7 + ["invited"] * 3
    db.session.execute(
        User.__table__.insert(),
        [
            {
                "username": f"user{n:05d}",
                "email": f"user{n:05d}@bench.test",
                "display_name": f"User {n}",
                "kind": "user",
                "state": rng.choice(states),
                "system_admin": False,
                "seat_type": "viewer" if n % 10 == 0 else "full",
                "session_version": 1,
                "created_at": now - timedelta(days=400),
            }
            for n in range(n_users)
        ],
    )
    db.session.execute(
        Team.__table__.insert(),
        [{"slug": f"team-{n:03d}", "display_name": f"Team {n}", "state": "active",
          "storage_kind": "internal", "bucket": f"outpost-team-{n:03d}", "created_at": now,
          "storage_config": {}, "intro": "", "profile_visibility": "members", "links": [],
          "showcase": []} for n in range(n_teams)],
    )  # fmt: skip
    db.session.commit()
    user_ids = db.session.scalars(db.select(User.id).order_by(User.id)).all()
    team_ids = db.session.scalars(db.select(Team.id).order_by(Team.id)).all()
    db.session.add_all(
        TeamStorageUsage(team_id=t, used_bytes=rng.randrange(1 << 36), measured_at=now)
        for t in team_ids
    )
    db.session.commit()
    admin = users.create_user("benchadmin", "admin@bench.test", PASSWORD, system_admin=True)
    key = api_keys.create_key(admin, "bench")[1]
    return {"users": user_ids, "teams": team_ids, "key": key}


def generate_events(n_events: int, n_users: int, today, rng: random.Random):
    """(created_at, user index, kind, action, result): busy users are busier (a Zipf-like
    weight), weekdays busier than weekends, and the year grows towards today."""
    weights = [1 / (rank + 20) ** 0.9 for rank in range(n_users)]
    day_weights = []
    for back in range(365):
        day = today - timedelta(days=back)
        day_weights.append((0.3 if day.weekday() >= 5 else 1.0) * (1.5 - back / 730))
    picks = rng.choices(range(n_users), weights=weights, k=n_events)
    backs = rng.choices(range(365), weights=day_weights, k=n_events)
    midnight = datetime.combine(today, datetime.min.time(), UTC)
    for user, back in zip(picks, backs, strict=True):
        at = midnight - timedelta(days=back, seconds=-rng.randrange(86400))
        r = rng.random()
        if r < 0.0002:  # a rare action family, to time a prefix filter that matches little
            yield at, user, None, "license:install", "success"
        elif r < 0.08:
            yield at, user, "login", "user:login", "failure" if r < 0.004 else "success"
        elif r < 0.58:
            yield at, user, "run_created", "run:create", "success"
        else:
            yield at, user, None, rng.choice(OTHER_ACTIONS), "success"


def load_events(people: dict, n_events: int, rng: random.Random):
    """Write the raw events; return the daily rollup rows they make, as record_activity
    would: a user is active on a day with any successful event, logins and runs are counted
    (runs in the user's team)."""
    from server.extensions import db

    users, teams = people["users"], people["teams"]
    today = datetime.now(UTC).date()
    active: set = set()
    counted: Counter = Counter()
    batch: list[tuple] = []
    for at, user, kind, action, result in generate_events(n_events, len(users), today, rng):
        user_id, day = users[user], at.date()
        team_id = teams[user % len(teams)] if action != "user:login" else None
        if result == "success":
            active.add((day, user_id))
            if kind:
                counted[(kind, day, user_id, team_id or 0)] += 1
                if team_id:  # the team's own row (user 0), as record_activity keeps it
                    counted[(kind, day, 0, team_id)] += 1
        name = f"user{user:05d}"
        target = (
            ("team", str(team_id), f"team-{user % len(teams):03d}")
            if team_id
            else ("user", str(user_id), name)
        )
        batch.append((at, user_id, name, "10.1.2.3", action, *target, team_id, result, "{}"))
        if len(batch) == 50_000:
            copy_rows(db, "audit_events", AUDIT_COLUMNS, batch)
            batch = []
    copy_rows(db, "audit_events", AUDIT_COLUMNS, batch)
    rows = [("active", day, user_id, 0, 1) for day, user_id in active]
    rows += [(*key, count) for key, count in counted.items()]
    return rows


def copy_rows(db, table: str, columns: str, rows: list[tuple]) -> None:
    """Bulk insert: COPY on PostgreSQL, executemany on SQLite (values in SQLAlchemy's own
    storage format, checked after loading)."""
    if not rows:
        return
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns.split(",")))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
            cursor.executemany(sql, [_sqlite(row) for row in rows])
        raw.commit()
    finally:
        raw.close()


def _sqlite(row: tuple) -> tuple:
    def value(v):
        if isinstance(v, datetime):
            return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return v.isoformat() if hasattr(v, "isoformat") else v

    return tuple(value(v) for v in row)


def load_rollups(rows: list[tuple]) -> None:
    from server.extensions import db
    from server.services.activity import rebuild_summaries

    columns = "kind, day, user_id, team_id, count"
    for start in range(0, len(rows), 100_000):
        copy_rows(db, "activity_daily", columns, rows[start : start + 100_000])
    rebuild_summaries()


def analyze(db) -> None:
    """Planner statistics, as autovacuum (PostgreSQL) or a routine ANALYZE would keep."""
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def check_load(db, rows: list[tuple]) -> dict:
    """Read back through the models: formats are right and the rollups add up."""
    from sqlalchemy import func, select

    from server.models import ActivityDaily, ActivityDayTotal, ActivityMonthly, AuditEvent

    newest = db.session.scalar(select(AuditEvent).order_by(AuditEvent.created_at.desc()))
    assert newest.created_at.tzinfo is not None and newest.details == {}
    active_days = sum(1 for row in rows if row[0] == "active")
    total = db.session.scalar(
        select(func.sum(ActivityDayTotal.users)).where(ActivityDayTotal.kind == "active")
    )
    assert total == active_days, (total, active_days)
    return {
        name: db.session.scalar(select(func.count()).select_from(model))
        for name, model in (
            ("audit_events", AuditEvent),
            ("activity_daily", ActivityDaily),
            ("activity_monthly", ActivityMonthly),
            ("activity_day_totals", ActivityDayTotal),
        )
    }


def time_recording(samples: int = 300) -> float:
    """Microseconds for one record_activity call committed on its own (e.g. a run created)."""
    from server.extensions import db
    from server.services.activity import record_activity

    start = time.perf_counter()
    for n in range(samples):
        record_activity("run_created", user_id=1 + n % 50, team_id=1)
        db.session.commit()
    return (time.perf_counter() - start) / samples * 1e6


def cases(people: dict) -> list[tuple[str, str, str]]:
    """(label, path, how to authenticate: console session or API key)."""
    today = datetime.now(UTC).date()
    month_ago = (today - timedelta(days=30)).isoformat()
    busy, team = "user00000", "team-007"
    return [
        ("dashboard 30 days (console page)", "/admin/activity?period=30d", "session"),
        ("dashboard 3 months (console page)", "/admin/activity?period=3m", "session"),
        ("dashboard 12 months (console page)", "/admin/activity?period=12m", "session"),
        ("dashboard all time (console page)", "/admin/activity?period=all", "session"),
        ("dashboard 12 months (API JSON)", "/api/v1/system/activity?period=12m", "key"),
        ("audit log, no filter (console)", "/admin/audit-log", "session"),
        (
            "audit log: action team:* last 30 days (console)",
            f"/admin/audit-log?action=team:&from={month_ago}&to={today.isoformat()}",
            "session",
        ),
        ("audit log: action team:* (console)", "/admin/audit-log?action=team:", "session"),
        (
            "audit log: rare family license:* (API)",
            "/api/v1/system/audit-log?action=license:",
            "key",
        ),
        ("audit log: busiest actor (console)", f"/admin/audit-log?actor={busy}", "session"),
        ("audit log: one team (API)", f"/api/v1/system/audit-log?team={team}", "key"),
        (
            "audit log: failed sign-ins (API)",
            "/api/v1/system/audit-log?action=user:login&result=failure",
            "key",
        ),
        ("audit log: team, 2nd page (API)", f"/api/v1/system/audit-log?team={team}&page2", "key"),
    ]


def count_queries(app, request) -> int:
    """SQL statements one request runs."""
    from sqlalchemy import event

    from server.extensions import db

    seen: list = []

    def listener(*args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def measure(app, people: dict, repeat: int) -> list[tuple[str, float, float, int]]:
    session = app.test_client()
    assert login(session, "benchadmin", PASSWORD).status_code == 302
    api = app.test_client()
    headers = bearer(people["key"])
    results = []
    for label, path, how in cases(people):
        client, kwargs = (session, {}) if how == "session" else (api, {"headers": headers})
        if path.endswith("&page2"):
            first = client.get(path.removesuffix("&page2"), **kwargs).json
            path = path.removesuffix("&page2") + f"&cursor={first['next_cursor']}"
        for _ in range(2):  # warm caches
            assert client.get(path, **kwargs).status_code == 200, path
        queries = count_queries(app, partial(client.get, path, **kwargs))
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(path, **kwargs)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        times.sort()
        p90 = times[min(len(times) - 1, round(0.9 * (len(times) - 1)))]
        results.append((label, statistics.median(times), p90, queries))
    return results


def run_backend(name: str, url: str, args) -> list[tuple[str, float, float, int]]:
    from server.extensions import db

    data_dir = tempfile.mkdtemp(prefix=f"outpost-bench-{name}-")
    rng = random.Random(2026)
    try:
        app = make_app(url, data_dir)
        with app.app_context():
            t0 = time.perf_counter()
            people = load_people(args.users, args.teams, rng)
            rows = load_events(people, args.events, rng)
            load_rollups(rows)
            analyze(db)
            sizes = check_load(db, rows)
            loaded = time.perf_counter() - t0
            record_us = time_recording()
            db.session.remove()
        print(
            f"\n[{name}] loaded in {loaded:.0f} s: "
            + ", ".join(f"{table} {count:,}" for table, count in sizes.items())
        )
        print(f"[{name}] record_activity + commit: {record_us:.0f} us per call")
        results = measure(app, people, args.repeat)
        with app.app_context():
            db.engine.dispose()
        return results
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default="", help="use this server instead")
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    print(
        f"Outpost dashboard benchmark: {args.events:,} events, {args.users:,} users, "
        f"{args.teams} teams; {args.repeat} timed requests each (target: median < {TARGET_MS} ms)"
    )
    report = {}
    for backend in backends:
        if backend == "sqlite":
            path = Path(tempfile.mkdtemp(prefix="outpost-bench-db-")) / "bench.db"
            report[backend] = run_backend(backend, f"sqlite:///{path}", args)
            shutil.rmtree(path.parent, ignore_errors=True)
        elif args.postgres_url:
            report[backend] = run_backend(backend, _fresh_db(args.postgres_url), args)
        else:
            with temp_postgres() as dsn:
                report[backend] = run_backend(backend, _fresh_db(dsn), args)
    print_report(report)


def _fresh_db(admin_dsn: str) -> str:
    from tests.fixtures.postgres import create_database

    return create_database(admin_dsn, "outpost_bench")


def print_report(report: dict) -> None:
    print(f"\n{'backend':<11} {'request':<50} {'median':>9} {'p90':>9} {'queries':>8}")
    failed = []
    for backend, rows in report.items():
        for label, median, p90, queries in rows:
            flag = "" if median < TARGET_MS else "  OVER TARGET"
            if flag:
                failed.append((backend, label))
            print(f"{backend:<11} {label:<50} {median:7.1f}ms {p90:7.1f}ms {queries:>8}{flag}")
    verdict = "all medians under" if not failed else f"{len(failed)} medians over"
    print(f"\n{verdict} {TARGET_MS} ms")


if __name__ == "__main__":
    main()
