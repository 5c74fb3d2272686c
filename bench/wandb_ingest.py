"""Benchmark: the real W&B SDK logging to Outpost versus a null server speaking the same
protocol (bench/wandb_null_server.py), which discards everything.

N concurrent SDK processes each log STEPS steps of METRICS metrics; prints both wall times,
Outpost's stored history rows per second and the ratio (target: Outpost <= 1.25x the null
server). Both servers run under gunicorn with the same workers on 127.0.0.1. The SDK
processes share the machine with the server, so one round varies with what else runs: the
rounds alternate between the two servers and the figures are their medians.

    python bench/wandb_ingest.py [--processes 4] [--steps 20000] [--metrics 10] [--rounds 3]
        [--workers 2] [--database-url postgresql+psycopg://...] [--wandb-version 0.31.0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.ports import free_port  # noqa: E402
from tests.wandb_sdk.conftest import SECRET, _make_venv  # noqa: E402

SCRIPT = """
import sys, wandb
steps, metrics = int(sys.argv[1]), int(sys.argv[2])
run = wandb.init(project="bench", entity="lab", settings=wandb.Settings(console="off"))
for step in range(steps):
    run.log({f"m{i}": step * 0.001 + i for i in range(metrics)})
run.finish()
print(run.id)
"""


def _wait(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            requests.post(url, json={}, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def _server(args, env, command, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            command(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url + "/graphql", proc)
    except BaseException:
        proc.terminate()
        raise
    return proc, url


def _started(stack: ExitStack, started: tuple[subprocess.Popen, str]) -> str:
    """Stop the server when the benchmark ends, however it ends; return its URL."""
    proc, url = started

    def stop() -> None:
        proc.terminate()
        proc.wait(timeout=30)

    stack.callback(stop)
    return url


def _log(python: Path, url: str, key: str, args, work: Path) -> tuple[float, list[str]]:
    work.mkdir(parents=True, exist_ok=True)
    script = work / "log.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "OUTPOST_"))}
    started = time.monotonic()
    procs = []
    for n in range(args.processes):
        home = work / f"p{n}"
        home.mkdir(exist_ok=True)
        procs.append(
            subprocess.Popen(
                [str(python), str(script), str(args.steps), str(args.metrics)],
                cwd=home,
                env={
                    **env,
                    "HOME": str(home),
                    "WANDB_DIR": str(home),
                    "WANDB_API_KEY": key,
                    "WANDB_BASE_URL": url,
                    "WANDB_SILENT": "true",
                },
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    ids = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=1800)
            if proc.returncode != 0:
                raise SystemExit(f"an SDK process failed:\n{err[-2000:]}")
            ids.append(out.strip().splitlines()[-1])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return time.monotonic() - started, ids


def _stored_rows(url: str, key: str, ids: list[str]) -> int:
    rows = 0
    for run_id in ids:
        run = requests.get(
            f"{url}/api/v1/teams/lab/projects/bench/runs/{run_id}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        ).json()
        rows += run["history"]["rows"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--wandb-version", default="0.31.0")
    args = parser.parse_args()
    python = _make_venv(args.wandb_version)
    work = Path(tempfile.mkdtemp(prefix="wandb-ingest-"))
    print(f"logs in {work}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
    env.update(
        PYTHONPATH=str(ROOT),
        OUTPOST_DATA_DIR=str(work / "data"),
        OUTPOST_SECRET_KEY=SECRET,
        OUTPOST_LOG_LEVEL="WARNING",
        HOME=str(work),
    )
    if args.database_url:
        env["OUTPOST_DATABASE_URL"] = args.database_url
        subprocess.run(
            [sys.executable, "-m", "server.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True
        )
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers)]
    gunicorn += ["--access-logfile", "-", "--access-logformat", "%(t)s %(r)s %(s)s %(M)sms"]
    serve = [sys.executable, "-m", "server.cli", "serve", "--workers", str(args.workers)]
    with ExitStack() as servers:
        null_url = _started(
            servers,
            _server(
                args,
                env,
                lambda p: [*gunicorn, "-b", f"127.0.0.1:{p}", "bench.wandb_null_server:app"],
                work / "null.log",
            ),
        )
        url = _started(
            servers,
            _server(
                args, env, lambda p: [*serve, "--bind", f"127.0.0.1:{p}"], work / "outpost.log"
            ),
        )
        seeded = subprocess.run(
            [sys.executable, "-m", "tests.wandb_sdk.world"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        key = json.loads(seeded.stdout.strip().splitlines()[-1])["bob"]
        null_times, outpost_times, stored = [], [], []
        for n in range(args.rounds):
            null_times.append(_log(python, null_url, key, args, work / f"null{n}")[0])
            took, ids = _log(python, url, key, args, work / f"outpost{n}")
            outpost_times.append(took)
            stored.append(_stored_rows(url, key, ids))
            print(
                f"round {n + 1}: null {null_times[-1]:.1f} s, Outpost {took:.1f} s "
                f"({took / null_times[-1]:.2f}x)",
                flush=True,
            )
    null_time, outpost_time = statistics.median(null_times), statistics.median(outpost_times)
    rows = min(stored)
    backend = "postgresql" if args.database_url else "sqlite"
    print(
        f"{args.processes} SDK processes x {args.steps} steps x {args.metrics} metrics "
        f"(wandb {args.wandb_version}, {backend}, {args.workers} workers)"
    )
    print(f"null server : {null_time:8.1f} s  (median of {args.rounds})")
    print(
        f"Outpost     : {outpost_time:8.1f} s  (median)  {rows} rows stored per round, "
        f"{rows / outpost_time:,.0f} rows/s"
    )
    print(f"ratio       : {outpost_time / null_time:8.2f}x  (target <= 1.25)")
    expected = args.processes * args.steps
    if rows != expected:
        raise SystemExit(f"expected {expected} rows, Outpost stored {rows}")


if __name__ == "__main__":
    main()
