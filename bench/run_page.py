"""Benchmark: the console's run page and one metric chart for runs of 1,000 / 100,000 /
1,000,000 history rows, and the runs table of a project with 100,000 runs.

History rows are loaded in bulk (COPY on PostgreSQL), then each run's downsampled buckets are
built by ``metric_rollups.rebuild`` — the same aggregation ``append_history`` applies batch by
batch (the test suite checks both give the same buckets). Requests go through the Flask test
client in process, signed in as a team member, templates and SVG included; the script prints
the median, p90 and SQL queries of each, and the 1M/1k ratio of the run page and the chart.
Targets: every median under 150 ms, and the 1,000,000-row page within 2x the 1,000-row one.
Runs on SQLite and on a throwaway PostgreSQL cluster (as ``bench/dashboard.py`` starts one).

    python bench/run_page.py [--rows 1000 100000 1000000] [--runs 100000] [--repeat 9]
                             [--backend sqlite] [--backend postgresql] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dashboard import copy_rows, count_queries, make_app, temp_postgres  # noqa: E402

TARGET_MS = 150
RATIO_TARGET = 2.0
START = datetime(2026, 1, 1, tzinfo=UTC)
METRICS = ("loss", "acc", "lr", "grad_norm")


def seed_people():
    from server.extensions import db
    from tests.console.helpers import signed_in  # noqa: F401  (used by measure)
    from tests.factories import make_project, make_team, make_user

    member = make_user("benchmember", password=None)
    team = make_team("bench", members=[member])
    runs_project = make_project(team, "table", created_by=member)
    history_project = make_project(team, "history", created_by=member)
    db.session.commit()
    return member, team, runs_project, history_project


def load_history(project, member, rows: int) -> str:
    """A run with ``rows`` history rows of four metrics, loaded in bulk 100,000 rows at a
    time; each chunk is folded into the run's buckets by ``metric_rollups.add_rows``, exactly
    as ``append_history`` folds a batch."""
    from server.extensions import db
    from server.models import Run
    from server.services import metric_rollups

    run_id = f"h{rows}"
    run = Run(
        project_id=project.id,
        run_id=run_id,
        name=run_id,
        created_by_id=member.id,
        logged_by_id=member.id,
        history_count=rows,
        last_step=rows - 1,
        summary={"loss": 0.1},
        created_at=START,
    )
    db.session.add(run)
    db.session.commit()
    rng = random.Random(rows)
    chunk, previous = 100_000, None
    for first in range(0, rows, chunk):
        stored, folded = [], []
        for step in range(first, min(rows, first + chunk)):
            t = START.timestamp() + step * 0.5
            data = {
                "loss": 1 / (1 + step / 1000) + rng.random() * 0.01,
                "acc": 1 - 1 / (1 + step / 1000),
                "lr": 0.1 * math.cos(step / rows),
                "grad_norm": rng.random(),
                "_timestamp": t,
            }
            stored.append((run.id, step, json.dumps(data), START + timedelta(seconds=step // 2)))
            folded.append((step, data, t))
        copy_rows(db, "run_history", "run_pk, step, data, created_at", stored)
        metric_rollups.add_rows(run.id, 0, previous, folded)
        db.session.commit()
        previous = folded[-1][0]
    return run_id


RUN_COLUMNS = (
    'project_id, run_id, name, notes, "group", job_type, tags, config, summary, state, '
    "stop_requested, created_by_id, logged_by_id, history_count, created_at, updated_at"
)


def load_runs(project, member, count: int) -> None:
    from server.extensions import db

    rng = random.Random(count)
    states = ("running", "finished", "crashed", "stopped")
    rows = []
    for n in range(count):
        at = START + timedelta(seconds=n)
        rows.append(
            (
                project.id, f"r{n}", f"run-{n:06d}", "", f"g{n % 50}", "train",
                json.dumps(["bench", f"t{n % 7}"]), json.dumps({"lr": rng.random()}),
                json.dumps({"loss": rng.random(), "acc": rng.random()}), states[n % 4],
                False, member.id, member.id, 0, at, at,
            )
        )  # fmt: skip
    copy_rows(db, "runs", RUN_COLUMNS, rows)


def analyze() -> None:
    """Planner statistics and (PostgreSQL) a vacuumed visibility map, as autovacuum keeps
    them after a bulk load."""
    from server.extensions import db

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(
            "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
        )


def cases(run_ids: list[tuple[int, str]]) -> list[tuple[str, str]]:
    history = "/teams/bench/projects/history/runs"
    table = "/teams/bench/projects/table"
    out = []
    for rows, run_id in run_ids:
        out.append((f"run page, {rows:,} rows", f"{history}/{run_id}"))
        out.append((f"chart (loss), {rows:,} rows", f"{history}/{run_id}/chart?metric=loss"))
    out += [
        ("runs table, newest first", table),
        ("runs table, page 2", table + "?page2"),
        ("runs table, state=finished", table + "?state=finished"),
        ("runs table, sort by name", table + "?sort=name&dir=asc"),
        ("runs table, tag t3 + 2 metric columns", table + "?tag=t3&col=loss&col=acc"),
    ]
    return out


def measure(app, member, run_ids, repeat: int) -> list[tuple[str, float, float, int]]:
    """Median and p90 of each case. Requests are interleaved (one of each case per round),
    so load from elsewhere on the machine falls on every case alike and ratios stay fair."""
    import re

    from tests.console.helpers import signed_in

    with app.app_context():
        client = signed_in(app.test_client(), member).client
    paths, queries = [], []
    for label, path in cases(run_ids):
        if path.endswith("?page2"):
            first = client.get(path.removesuffix("?page2")).get_data(as_text=True)
            cursor = re.search(r'href="\?([^"]*cursor=[^"]+)"', first).group(1)
            path = path.removesuffix("?page2") + "?" + cursor.replace("&amp;", "&")
        for _ in range(3):  # warm caches
            assert client.get(path).status_code == 200, path
        paths.append((label, path))
        queries.append(count_queries(app, partial(client.get, path)))
    times: list[list[float]] = [[] for _ in paths]
    for _ in range(repeat):
        for i, (_label, path) in enumerate(paths):
            start = time.perf_counter()
            response = client.get(path)
            times[i].append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    results = []
    for (label, _path), samples, count in zip(paths, times, queries, strict=True):
        samples.sort()
        p90 = samples[min(len(samples) - 1, round(0.9 * (len(samples) - 1)))]
        results.append((label, statistics.median(samples), p90, count))
    return results


def run_backend(name: str, url: str, args) -> list[tuple[str, float, float, int]]:
    from server.extensions import db

    data_dir = tempfile.mkdtemp(prefix=f"outpost-bench-{name}-")
    try:
        app = make_app(url, data_dir)
        with app.app_context():
            t0 = time.perf_counter()
            member, _team, table_project, history_project = seed_people()
            run_ids = [(rows, load_history(history_project, member, rows)) for rows in args.rows]
            load_runs(table_project, member, args.runs)
            analyze()
            print(f"[{name}] loaded in {time.perf_counter() - t0:.0f} s")
            db.session.expunge_all()
            member = db.session.merge(member)
            db.session.remove()
        results = measure(app, member, run_ids, args.repeat)
        with app.app_context():
            db.engine.dispose()
        return results
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default="", help="use this server instead")
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    print(
        f"Outpost run page benchmark: history of {', '.join(f'{r:,}' for r in args.rows)} rows, "
        f"{args.runs:,} runs in one project; {args.repeat} timed requests each "
        f"(target: median < {TARGET_MS} ms, 1M/1k <= {RATIO_TARGET})"
    )
    report = {}
    for backend in backends:
        if backend == "sqlite":
            path = Path(tempfile.mkdtemp(prefix="outpost-bench-db-")) / "bench.db"
            report[backend] = run_backend(backend, f"sqlite:///{path}", args)
            shutil.rmtree(path.parent, ignore_errors=True)
        else:
            from dashboard import _fresh_db

            if args.postgres_url:
                report[backend] = run_backend(backend, _fresh_db(args.postgres_url), args)
            else:
                with temp_postgres() as dsn:
                    report[backend] = run_backend(backend, _fresh_db(dsn), args)
    print_report(report, args.rows)


def print_report(report: dict, rows: list[int]) -> None:
    print(f"\n{'backend':<11} {'request':<40} {'median':>9} {'p90':>9} {'queries':>8}")
    over = []
    for backend, results in report.items():
        for label, median, p90, queries in results:
            flag = "" if median < TARGET_MS else "  OVER TARGET"
            if flag:
                over.append((backend, label))
            print(f"{backend:<11} {label:<40} {median:7.1f}ms {p90:7.1f}ms {queries:>8}{flag}")
        medians = {label: median for label, median, _, _ in results}
        small, big = min(rows), max(rows)
        for what in ("run page", "chart (loss)"):
            ratio = medians[f"{what}, {big:,} rows"] / medians[f"{what}, {small:,} rows"]
            verdict = "ok" if ratio <= RATIO_TARGET else "OVER TARGET"
            print(f"{backend:<11} {what} {big:,}/{small:,} rows: {ratio:.2f}x ({verdict})")
    verdict = "all medians under" if not over else f"{len(over)} medians over"
    print(f"\n{verdict} {TARGET_MS} ms")


if __name__ == "__main__":
    main()
