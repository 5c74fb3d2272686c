"""Benchmark: a 64 MiB upload through an Outpost pre-signed URL vs. directly with the S3 client.

Starts moto's S3 API server on 127.0.0.1 (a subprocess on a free port) and an Outpost app whose
instance storage is that server, creates a team (which provisions its bucket), then alternates
the two upload paths for a few rounds after a warm-up, in one run:

* Outpost: ``files.upload_url`` issues the team-scoped pre-signed PUT (what the artifact and
  run-file endpoints hand out after their permission check), and a plain HTTP client
  (``requests``) sends the file to the storage server; Outpost never carries the bytes;
* direct: boto3 ``put_object`` of the same file into the same bucket.

Prints the median of each and the throughput ratio presigned / direct, i.e. direct time over
presigned time (1.0 = as fast as the storage client; target >= 0.95).

    python bench/upload_presigned.py [--size-mib 64] [--rounds 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's `server`

from tests.fixtures.ports import free_port  # noqa: E402


def start_s3_server(log_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(log_dir / "moto.log", "wb")  # noqa: SIM115 - lives as long as the server
    args = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"moto server exited: see {log_dir / 'moto.log'}")
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1).close()
            return proc, endpoint
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto server did not start within 30 s")


def outpost_app(tmp_dir: Path, endpoint: str):
    """An Outpost app on a fresh SQLite database with the S3 server as instance storage."""
    from flask_migrate import upgrade

    from server import create_app

    app = create_app(
        {
            "database_url": f"sqlite:///{tmp_dir / 'outpost.db'}",
            "secret_key": "bench-secret-key-that-is-long-enough-0123456789",
            "data_dir": str(tmp_dir / "data"),
            "log_format": "text",
            "log_level": "WARNING",
            "storage_provider": "s3",
            "storage_endpoint": endpoint,
            "storage_access_key": "bench",
            "storage_secret_key": "bench",
            "storage_bucket_prefix": "bench",
        }
    )
    with app.app_context():
        upgrade()
    return app


def timed(upload, *args) -> float:
    started = time.perf_counter()
    upload(*args)
    return time.perf_counter() - started


def upload_through_outpost(team, path: Path, size: int, key: str) -> None:
    from server.services import files

    signed = files.upload_url(team, key, size=size)
    with open(path, "rb") as body:
        response = requests.put(signed["url"], data=body, headers=signed["headers"], timeout=120)
    response.raise_for_status()


def upload_direct(client, bucket: str, path: Path, key: str) -> None:
    with open(path, "rb") as body:
        client.put_object(Bucket=bucket, Key=key, Body=body)


def measure(app, path: Path, size: int, rounds: int) -> tuple[list[float], list[float]]:
    from server.services import files, teams, users
    from server.services.team_storage import instance_provider

    with app.app_context():
        admin = users.create_user("bench", "bench@example.test", None, system_admin=True)
        team = teams.create_team(admin, "bench")
        client = instance_provider().client  # boto3, as Outpost configures it for this server
        upload_through_outpost(team, path, size, "warmup-presigned")
        upload_direct(client, team.bucket, path, "warmup-direct")
        presigned, direct = [], []
        for i in range(rounds):
            presigned.append(timed(upload_through_outpost, team, path, size, f"p{i}"))
            direct.append(timed(upload_direct, client, team.bucket, path, f"d{i}"))
        files.verify_uploaded(team, [(f"p{i}", size) for i in range(rounds)])
    return presigned, direct


def run(size_mib: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        proc, endpoint = start_s3_server(tmp_dir)
        try:
            path = tmp_dir / "payload.bin"
            size = size_mib * 1024 * 1024
            path.write_bytes(os.urandom(size))
            presigned, direct = measure(outpost_app(tmp_dir, endpoint), path, size, rounds)
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    p, d = statistics.median(presigned), statistics.median(direct)
    presigned, direct = [round(t, 3) for t in presigned], [round(t, 3) for t in direct]
    print(f"payload: {size_mib} MiB, {rounds} rounds after warm-up, S3 API server {endpoint}")
    print(f"Outpost pre-signed PUT: median {p:.3f} s  ({size_mib / p:.0f} MiB/s)  {presigned}")
    print(f"direct put_object:      median {d:.3f} s  ({size_mib / d:.0f} MiB/s)  {direct}")
    print(f"ratio presigned/direct throughput: {d / p:.2f}  (target >= 0.95)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    run(args.size_mib, args.rounds)


if __name__ == "__main__":
    main()
