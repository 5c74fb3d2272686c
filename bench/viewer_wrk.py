"""Benchmark: authenticated ``GET /api/v1/viewer`` against a bare Flask endpoint, with ``wrk``.

Both apps run under gunicorn with 2 sync workers on 127.0.0.1 in the same run and are loaded
alike by ``wrk`` (a native load generator: 2 threads, 16 keep-alive connections; Debian
package ``wrk``), so the client is never the bottleneck. Prints requests per second, their
ratio (target >= 0.5) and SQL statements per authenticated request. On a machine other work
loads, requests per second say more about the neighbours than about the servers: each round
also prints the CPU time the gunicorn processes spent per request (from ``/proc``, Linux) and
that ratio (bare / outpost), which the load changes much less.

    python bench/viewer_wrk.py [--seconds 10] [--rounds 1] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.viewer_throughput import _queries_per_request, _wait  # noqa: E402
from bench.world import bench_env, create_user_with_key  # noqa: E402
from tests.fixtures.ports import free_port  # noqa: E402


def gunicorn(target: str, port: int, env: dict, workers: int = 2) -> subprocess.Popen:
    args = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
    args += ["--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    return subprocess.Popen(
        [*args, target], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wrk(url: str, seconds: int, headers: dict[str, str]) -> tuple[float, int]:
    """Requests per second and requests answered."""
    args = ["wrk", "-t2", "-c16", f"-d{seconds}s", url]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rate, int(re.search(r"(\d+) requests in", out).group(1))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a gunicorn master and its workers (Linux ``/proc``)."""
    total, ticks = 0, os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for each in [pid, *map(int, children)]:
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def measured(url: str, seconds: int, headers: dict[str, str], pid: int) -> tuple[float, float]:
    """Requests per second, and CPU microseconds the server spent per request."""
    before = cpu_seconds(pid)
    rate, count = wrk(url, seconds, headers)
    return rate, (cpu_seconds(pid) - before) / max(count, 1) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    env, data = bench_env(args.database_url)
    key = create_user_with_key(env)
    auth = {"Authorization": f"Bearer {key}"}
    procs, urls, pids = [], {}, {}
    try:
        for name, target in (("bare", "bench.bare_app:app"), ("outpost", "server.wsgi:app")):
            port = free_port()
            procs.append(gunicorn(target, port, env))
            urls[name] = f"http://127.0.0.1:{port}/api/v1/viewer"
            pids[name] = procs[-1].pid
            _wait(urls[name])
        for round_ in range(1, args.rounds + 1):
            wrk(urls["bare"], 1, {})  # warm up
            wrk(urls["outpost"], 1, auth)
            bare, bare_cpu = measured(urls["bare"], args.seconds, {}, pids["bare"])
            outpost, cpu = measured(urls["outpost"], args.seconds, auth, pids["outpost"])
            print(
                f"round {round_}: bare Flask {bare:8.0f} req/s   outpost /api/v1/viewer "
                f"{outpost:8.0f} req/s   ratio {outpost / bare:5.2f} (target >= 0.5)\n"
                f"         server CPU per request: bare {bare_cpu:6.0f} us   outpost "
                f"{cpu:6.0f} us   ratio {bare_cpu / cpu:5.2f}"
            )
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
    print(f"SQL statements per authenticated request: {_queries_per_request(env, key):.2f}")
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
