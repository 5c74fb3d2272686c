"""Benchmark: does a request wait behind slow uploads? (issue 20 #2)

Starts a real ``outpost serve`` on 127.0.0.1 with its embedded defaults (SQLite, filesystem
storage) in a temporary data directory, then runs two uploads to run-file pre-signed URLs, each
throttled to ``--rate-mib`` MiB/s like a slow client, beside a latency probe of
``GET /api/v1/viewer``. Prints the probe's median and maximum while idle and while the uploads
run (target: under 50 ms during the uploads).

    python bench/slow_transfers.py [--rate-mib 2] [--seconds 10] [--worker-class gthread|sync]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's `server` and test helpers

from tests.fixtures.outpost_server import OutpostServer  # noqa: E402

PIECE = 64 * 1024


def throttled_put(upload: dict, size: int, rate: float, result: list) -> None:
    """PUT ``size`` bytes at ``rate`` bytes per second; append the answer's status."""
    url = urlsplit(upload["url"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    conn.putrequest("PUT", f"{url.path}?{url.query}" if url.query else url.path)
    for name, value in upload["headers"].items():
        conn.putheader(name, value)
    conn.endheaders()
    started, sent, piece = time.monotonic(), 0, b"\0" * PIECE
    while sent < size:
        chunk = piece[: min(PIECE, size - sent)]
        conn.send(chunk)
        sent += len(chunk)
        ahead = sent / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)
    response = conn.getresponse()
    response.read()
    result.append(response.status)
    conn.close()


def probe(session: requests.Session, url: str) -> float:
    started = time.perf_counter()
    answer = session.get(url, timeout=60)
    answer.raise_for_status()
    return (time.perf_counter() - started) * 1000


def summary(name: str, samples: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(samples):7.1f} ms   max {max(samples):7.1f} ms   "
        f"({len(samples)} requests)"
    )


def run(rate_mib: float, seconds: float, worker_class: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = OutpostServer(Path(tmp) / "data", args=["--worker-class", worker_class])
        try:
            files_url = server.make_run()
            viewer = f"{server.base}/api/v1/viewer"
            session = requests.Session()
            session.headers.update(server.api.headers)
            for _ in range(5):  # warm-up
                probe(session, viewer)
            idle = [probe(session, viewer) for _ in range(30)]

            size = int(rate_mib * 1024 * 1024 * seconds)
            statuses: list[int] = []
            uploads = []
            for i in range(2):
                declared = server.api.post(
                    files_url, json={"path": f"slow-{i}.bin", "size": size}, timeout=10
                )
                declared.raise_for_status()
                args = (declared.json()["upload"], size, rate_mib * 1024 * 1024, statuses)
                uploads.append(threading.Thread(target=throttled_put, args=args, daemon=True))
            for upload in uploads:
                upload.start()
            time.sleep(0.5)  # both uploads are now holding a connection each
            busy = []
            while any(upload.is_alive() for upload in uploads):
                busy.append(probe(session, viewer))
                time.sleep(0.1)
            for upload in uploads:
                upload.join()
        finally:
            server.stop()

    print(f"outpost serve --worker-class {worker_class}; two uploads at {rate_mib:g} MiB/s each")
    print(f"({size / 1024 / 1024:.0f} MiB each, answered {statuses})")
    print(summary("idle probe          ", idle))
    print(summary("probe during uploads", busy))
    verdict = "meets" if statistics.median(busy) < 50 and max(busy) < 50 else "misses"
    print(f"target: probe under 50 ms during the uploads: {verdict} it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate-mib", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--worker-class", choices=["gthread", "sync"], default="gthread")
    args = parser.parse_args()
    run(args.rate_mib, args.seconds, args.worker_class)


if __name__ == "__main__":
    main()
