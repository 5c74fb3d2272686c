"""Benchmark: a 64 MiB upload through a pre-signed PUT URL vs. directly with the S3 client.

Starts moto's S3 API server on 127.0.0.1 (a subprocess on a free port), then alternates the two
upload paths for a few rounds after a warm-up and prints the median of each, and the ratio
direct / presigned (1.0 = the pre-signed path is as fast as the client; target >= 0.95).

    python bench/upload_presigned.py [--size-mib 64] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's `server`

from server.storage import StorageSettings, get_provider  # noqa: E402

BUCKET = "outpost-bench"


def start_s3_server(log_dir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
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


def timed(upload, *args) -> float:
    started = time.perf_counter()
    upload(*args)
    return time.perf_counter() - started


def upload_presigned(storage, path: Path, size: int, key: str) -> None:
    signed = storage.presign_put(BUCKET, key, expires_in=600, content_length=size)
    with open(path, "rb") as body:
        response = requests.put(signed.url, data=body, headers=signed.headers, timeout=120)
    response.raise_for_status()


def upload_direct(storage, path: Path, key: str) -> None:
    with open(path, "rb") as body:
        storage.client.put_object(Bucket=BUCKET, Key=key, Body=body)


def run(size_mib: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        proc, endpoint = start_s3_server(tmp_dir)
        try:
            settings = StorageSettings(
                provider="s3",
                endpoint=endpoint,
                access_key="bench",
                secret_key="bench",
                read_timeout=120.0,
            )
            storage = get_provider(settings)
            storage.ensure_team_bucket(BUCKET, team_slug="bench")
            path = tmp_dir / "payload.bin"
            size = size_mib * 1024 * 1024
            path.write_bytes(os.urandom(size))

            upload_presigned(storage, path, size, "warmup-presigned")
            upload_direct(storage, path, "warmup-direct")
            presigned, direct = [], []
            for i in range(rounds):
                presigned.append(timed(upload_presigned, storage, path, size, f"p{i}"))
                direct.append(timed(upload_direct, storage, path, f"d{i}"))
            assert storage.stat_object(BUCKET, "p0").size == size
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    p, d = statistics.median(presigned), statistics.median(direct)
    presigned, direct = [round(t, 3) for t in presigned], [round(t, 3) for t in direct]
    print(f"payload: {size_mib} MiB, {rounds} rounds after warm-up, S3 API server {endpoint}")
    print(f"pre-signed PUT (requests): median {p:.3f} s  ({size_mib / p:.0f} MiB/s)  {presigned}")
    print(f"direct put_object (boto3): median {d:.3f} s  ({size_mib / d:.0f} MiB/s)  {direct}")
    print(f"ratio direct/presigned: {d / p:.2f}  (target >= 0.95)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    run(args.size_mib, args.rounds)


if __name__ == "__main__":
    main()
