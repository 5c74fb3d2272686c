"""Benchmark: list and filter endpoints as their tables grow (1k -> 100k rows, 1M with
``--million``), on SQLite and PostgreSQL.

Each endpoint's first page (and the runs list's second page, through its cursor) is asked for
30 times at each size through the app (in process, so only the server's work is measured); the
table prints the median milliseconds and the ratio largest/smallest size (target <= 1.5: a page
costs the same at any size). On a loaded machine those medians are noisy; on PostgreSQL a second
table prints what does not depend on the load: the shared buffers each list statement touches
(``EXPLAIN (ANALYZE, BUFFERS)`` of the statement the request ran), flat when the plan is an index
range in page order. The tables are vacuumed and analysed after each growth, so autovacuum does
not run during a measurement. PostgreSQL is a throw-away server started like the tests' one, or
``--postgres-url`` (an admin DSN).

    python bench/lists_scale.py [--million] [--backend sqlite|postgresql] [--postgres-url DSN]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert  # noqa: E402

from server import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import AuditEvent, Run  # noqa: E402
from server.models.base import utcnow  # noqa: E402

RUNS = "/api/v1/teams/lab/projects/mnist/runs"
ENDPOINTS = {
    "runs": RUNS,
    "runs next page": RUNS + "?cursor={next}",
    "runs state=crashed": RUNS + "?state=crashed",
    "runs group=g7": RUNS + "?group=g7",
    "audit log": "/api/v1/system/audit-log",
    "audit actor=ada": "/api/v1/system/audit-log?actor=ada",
    "audit result=failure": "/api/v1/system/audit-log?result=failure",
    "audit action=run:stop": "/api/v1/system/audit-log?action=run:stop",
    "audit team=lab": "/api/v1/system/audit-log?team=lab",
}
BATCH = 20_000
_START = utcnow() - timedelta(days=30)  # 1M events span 12 days
_SHOW_PLANS = False


def _world():
    from tests.factories import make_key, make_project, make_team, make_user

    admin = make_user("root", password=None, system_admin=True)
    ada = make_user("ada", password=None)
    team = make_team("lab", admins=[admin], members=[ada])
    project = make_project(team, "mnist", created_by=ada)
    return {"Authorization": f"Bearer {make_key(admin)}"}, project.id, team.id, ada.id


def _grow(start: int, end: int, project_id: int, team_id: int, user_id: int) -> None:
    """Add runs and audit events ``start``..``end``: 1 in 10 in group g7, 1 in 20 crashed,
    1 in 10 by ada, 1 in 50 failed, 1 in 100 a stop. Event n happened ``n`` seconds after a
    fixed start, as in a real log, whose newest events are the last written (an earlier version
    dated each growth back from its own "now", interleaving the newest events of two growths)."""
    start_at = _START
    for first in range(start, end, BATCH):
        numbers = range(first, min(first + BATCH, end))
        db.session.execute(
            insert(Run),
            [
                {
                    "project_id": project_id,
                    "run_id": f"r{n}",
                    "name": f"r{n}",
                    "group": f"g{n % 10}",
                    "state": "crashed" if n % 20 == 0 else "finished",
                    "tags": [],
                    "config": {},
                    "summary": {},
                    "history_count": 0,
                    "created_by_id": user_id,
                    "logged_by_id": user_id,
                }
                for n in numbers
            ],
        )
        db.session.execute(
            insert(AuditEvent),
            [
                {
                    "created_at": start_at + timedelta(seconds=n),
                    "actor_id": user_id if n % 10 == 0 else None,
                    "actor_name": "ada" if n % 10 == 0 else "cli",
                    "action": "run:stop" if n % 100 == 0 else "run:create",
                    "target_type": "run",
                    "team_id": team_id if n % 2 else None,
                    "result": "failure" if n % 50 == 0 else "success",
                    "details": {},
                }
                for n in numbers
            ],
        )
        db.session.commit()


def _buffers(client, url: str, headers: dict) -> int:
    """Shared buffers (hit + read) the request's list statement touches on PostgreSQL."""
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM runs" in statement or "FROM audit_events" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        assert client.get(url, headers=headers).status_code == 200, url
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    statement, parameters = captured[-1]
    with db.engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = [row[0] for row in plan]
        if _SHOW_PLANS:
            print(url, *plan, sep="\n  ")
        top = next(line for line in plan if "Buffers:" in line)
    return sum(int(n) for n in re.findall(r"(?:hit|read)=(\d+)", top))


def _median_ms(client, url: str, headers: dict, rounds: int = 30) -> float:
    for _ in range(3):
        assert client.get(url, headers=headers).status_code == 200, url
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        client.get(url, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(database_url: str, sizes: list[int]) -> tuple[dict, dict]:
    data = tempfile.mkdtemp(prefix="outpost-bench-")
    app = create_app(
        {
            "database_url": database_url,
            "secret_key": "b" * 40,
            "data_dir": data,
            "log_format": "text",
            "log_level": "WARNING",
        }
    )
    results: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
    buffers: dict[str, list[int]] = {name: [] for name in ENDPOINTS}
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        headers, project_id, team_id, user_id = _world()
        client, have = app.test_client(), 0
        for size in sizes:
            _grow(have, size, project_id, team_id, user_id)
            have = size
            postgres = db.engine.dialect.name == "postgresql"
            if postgres:
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE")
            following = client.get(RUNS, headers=headers).json["next_cursor"]
            for name, url in ENDPOINTS.items():
                url = url.format(next=following)
                results[name].append(_median_ms(client, url, headers))
                if postgres:
                    buffers[name].append(_buffers(client, url, headers))
        db.session.remove()
        db.engine.dispose()
    return results, buffers


@contextlib.contextmanager
def _postgres(admin_dsn: str | None):
    from tests.fixtures.postgres import create_database, postgres_server

    if admin_dsn:
        yield create_database(admin_dsn, "outpost_bench")
        return
    start = getattr(postgres_server, "_get_wrapped_function", None)
    start = start() if start else postgres_server.__pytest_wrapped__.obj
    server = contextlib.contextmanager(start)()
    with server as dsn:
        yield create_database(dsn, "outpost_bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 rows")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--postgres-url", default="")
    args = parser.parse_args()
    sizes = [1_000, 100_000] + ([1_000_000] if args.million else [])
    for backend in args.backend or ["sqlite", "postgresql"]:
        if backend == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp(prefix='outpost-bench-')}/bench.db"
            results, buffers = measure(url, sizes)
        else:
            with _postgres(args.postgres_url) as url:
                results, buffers = measure(url, sizes)
        header = "".join(f"{size:>12,}" for size in sizes)
        print(f"\n{backend}: median ms per page{'':14}{header}   ratio (target <= 1.5)")
        for name, times in results.items():
            cells = "".join(f"{t:12.2f}" for t in times)
            print(f"  {name:<38}{cells}   {max(times) / min(times):5.2f}")
        if any(buffers.values()):
            print(f"{backend}: shared buffers per page statement{header}   ratio")
            for name, counts in buffers.items():
                cells = "".join(f"{n:12d}" for n in counts)
                print(f"  {name:<38}{cells}   {max(counts) / min(counts):5.2f}")


if __name__ == "__main__":
    main()
