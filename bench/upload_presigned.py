"""Benchmark: a user's pre-signed round trip through a running Outpost vs. a direct write.

For each storage provider (the embedded filesystem, S3 on moto's server, GCS on
fake-gcs-server; all on 127.0.0.1) this starts a real ``outpost serve`` in a temporary data
directory, creates a team (its bucket), a project and a run, and then times what a user's
tool does with a file of ``--size-mib``:

* through Outpost: declare the run file (``POST …/files``), PUT the bytes to the pre-signed URL,
  list the files (``GET …/files``) and GET the bytes back from the download URL;
* direct: write the same bytes to the same place without Outpost and read them back (a Python
  program writing the file in 1 MiB pieces on the same disk; boto3 ``put_object``/
  ``get_object``; google-cloud-storage upload and download), with no Outpost request at all.

Prints the median times and the ratio direct / Outpost per provider (1.0 = as fast as the
direct path; target >= 0.9). Bytes are checked by sha256 both ways.

For the filesystem it also measures a peer in the same rounds: nginx (Debian's ``nginx-light``)
on 127.0.0.1 with WebDAV ``PUT``, ``sendfile`` and a 1 MiB body buffer, storing into a directory
on the same disk; the same ``requests`` PUT and GET as through Outpost, without the declare and
list calls. It shows what any HTTP server gets against the direct write on this machine, and
prints the ratio nginx / Outpost (1.0 = as fast as nginx). ``--no-nginx`` leaves it out.

    python bench/upload_presigned.py [--size-mib 64] [--rounds 3] [--large] [--providers fs,s3,gcs]

``--large`` adds a 1 GiB file (``--large-rounds``, default 2), which takes a few minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's `server` and test helpers

from server.storage import bucket_name_for_team  # noqa: E402
from tests.fixtures.object_storage import ServerProcess, fake_gcs_binary  # noqa: E402
from tests.fixtures.outpost_server import OutpostServer  # noqa: E402
from tests.fixtures.ports import free_port  # noqa: E402

MIB = 1024 * 1024
PREFIX = "bench"


def write_payload(path: Path, size: int) -> str:
    sha = hashlib.sha256()
    with path.open("wb") as fh:
        for _ in range(0, size, 8 * MIB):
            chunk = os.urandom(min(8 * MIB, size - fh.tell()))
            sha.update(chunk)
            fh.write(chunk)
    return sha.hexdigest()


def sha_of_stream(chunks) -> str:
    sha = hashlib.sha256()
    for chunk in chunks:
        sha.update(chunk)
    return sha.hexdigest()


def put_file(url: str, payload: Path, headers: dict | None = None) -> None:
    """PUT the file as a user's tool does: ``requests`` streaming it from disk."""
    with payload.open("rb") as body:
        requests.put(url, data=body, headers=headers, timeout=900).raise_for_status()


def get_sha(url: str) -> str:
    """GET ``url`` in 1 MiB pieces; the sha256 of its bytes."""
    with requests.get(url, stream=True, timeout=900) as got:
        got.raise_for_status()
        return sha_of_stream(got.iter_content(MIB))


# -- storage servers ----------------------------------------------------------------------


def start_moto(tmp: Path) -> tuple[ServerProcess, dict[str, str], Callable]:
    port = free_port()
    args = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = ServerProcess("moto", args, tmp / "moto.log")
    endpoint = f"http://127.0.0.1:{port}"
    server.wait_until_answering(f"{endpoint}/moto-api/data.json")
    env = {
        "OUTPOST_STORAGE_PROVIDER": "s3",
        "OUTPOST_STORAGE_ENDPOINT": endpoint,
        "OUTPOST_STORAGE_ACCESS_KEY": "bench",
        "OUTPOST_STORAGE_SECRET_KEY": "bench",
    }

    def direct(bucket: str, key: str, payload: Path) -> str:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        with payload.open("rb") as body:
            client.put_object(Bucket=bucket, Key=key, Body=body)
        return sha_of_stream(client.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(MIB))

    return server, env, direct


def start_fake_gcs(tmp: Path) -> tuple[ServerProcess, dict[str, str], Callable]:
    port = free_port()
    host = f"127.0.0.1:{port}"
    args = [str(fake_gcs_binary()), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port)]
    args += ["-backend", "memory", "-public-host", host, "-external-url", f"http://{host}"]
    server = ServerProcess("fake-gcs-server", args, tmp / "gcs.log")
    server.wait_until_answering(f"http://{host}/storage/v1/b")
    endpoint = f"http://{host}"
    env = {
        "OUTPOST_STORAGE_PROVIDER": "gcs",
        "OUTPOST_STORAGE_ENDPOINT": endpoint,
        "STORAGE_EMULATOR_HOST": endpoint,
    }

    def direct(bucket: str, key: str, payload: Path) -> str:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        client = storage.Client(
            project="bench",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": endpoint},
        )
        blob = client.bucket(bucket).blob(key)
        blob.upload_from_filename(str(payload), timeout=600)

        class Hasher:
            def __init__(self):
                self.sha = hashlib.sha256()

            def write(self, chunk):
                self.sha.update(chunk)

        sink = Hasher()
        client.bucket(bucket).blob(key).download_to_file(sink, timeout=600)
        return sink.sha.hexdigest()

    return server, env, direct


def filesystem_direct(storage_root: Path) -> Callable:
    def direct(bucket: str, key: str, payload: Path) -> str:
        """What a program writing the file itself does: 1 MiB writes, fsync-free, read back."""
        target = storage_root / bucket / "direct" / key
        target.parent.mkdir(parents=True, exist_ok=True)
        with payload.open("rb") as source, target.open("wb") as sink:
            while chunk := source.read(MIB):
                sink.write(chunk)
        with target.open("rb") as fh:
            return sha_of_stream(iter(lambda: fh.read(MIB), b""))

    return direct


NGINX_CONF = """\
daemon off;
worker_processes 1;
{user}error_log {log} warn;
pid {pid};
events {{ worker_connections 64; }}
http {{
  access_log off;
  sendfile on;
  client_body_temp_path {tmp};
  proxy_temp_path {tmp};
  fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp};
  scgi_temp_path {tmp};
  server {{
    listen 127.0.0.1:{port};
    root {root};
    client_max_body_size 0;
    client_body_buffer_size 1m;
    dav_methods PUT;
    create_full_put_path on;
  }}
}}
"""


def start_nginx(tmp: Path) -> tuple[ServerProcess, str]:
    """nginx serving and accepting PUTs into ``tmp/nginx/root``; returns it and its base URL."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        sys.exit("nginx is not installed (apt-get install nginx-light), or pass --no-nginx")
    home = tmp / "nginx"
    for sub in ("root", "tmp", "logs"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "root" / "ready").write_text("ok")
    port = free_port()
    conf = home / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            # as root, nginx's workers would run as nobody, who cannot write here
            user="user root root;\n" if os.geteuid() == 0 else "",
            log=home / "logs" / "error.log",
            pid=home / "nginx.pid",
            tmp=home / "tmp",
            root=home / "root",
            port=port,
        )
    )
    args = [binary, "-p", str(home), "-c", str(conf)]
    server = ServerProcess("nginx", args, home / "logs" / "out.log")
    base = f"http://127.0.0.1:{port}"
    server.wait_until_answering(f"{base}/ready")
    return server, base


def through_nginx(base: str, key: str, payload: Path) -> str:
    """The same PUT and GET as through Outpost, to nginx."""
    put_file(f"{base}/{key}", payload)
    return get_sha(f"{base}/{key}")


# -- one round each way -------------------------------------------------------------------


def through_outpost(server: OutpostServer, files_url: str, path: str, payload: Path) -> str:
    size = payload.stat().st_size
    declared = server.api.post(files_url, json={"path": path, "size": size}, timeout=30)
    declared.raise_for_status()
    upload = declared.json()["upload"]
    put_file(upload["url"], payload, upload["headers"])
    listing = server.api.get(files_url, params={"limit": 200}, timeout=30).json()["items"]
    return get_sha(next(item["download"]["url"] for item in listing if item["path"] == path))


def timed(fn, *args) -> tuple[float, str]:
    started = time.perf_counter()
    digest = fn(*args)
    return time.perf_counter() - started, digest


def measure(
    provider: str, tmp: Path, payloads: list[tuple[Path, str, int]], nginx: bool
) -> list[str]:
    storage = peer = None
    if provider == "s3":
        storage, env, direct = start_moto(tmp)
    elif provider == "gcs":
        storage, env, direct = start_fake_gcs(tmp)
    else:
        env, direct = {}, filesystem_direct(tmp / provider / "data" / "storage")
    env["OUTPOST_STORAGE_BUCKET_PREFIX"] = PREFIX
    lines = []
    server = OutpostServer(tmp / provider / "data", env=env)
    try:
        if provider == "fs" and nginx:
            peer, peer_url = start_nginx(tmp)
        files_url = server.make_run()
        bucket = bucket_name_for_team(PREFIX, "lab")
        for payload, expected, rounds in payloads:
            size_mib = payload.stat().st_size // MIB
            # each way: (what it does with a key and the payload, its keys' prefix)
            ways = {
                "Outpost": (partial(through_outpost, server, files_url), ""),
                "direct": (partial(direct, bucket), "direct-"),
            }
            if peer is not None:
                ways["nginx"] = (partial(through_nginx, peer_url), "")
            times: dict[str, list[float]] = {name: [] for name in ways}
            names = list(ways)
            for i in range(rounds):
                # each way goes first in turn: the first writer of a round may meet a colder
                # machine (memory the VM has not handed out yet, a storage server's first
                # large allocation)
                for name in names[i % len(names) :] + names[: i % len(names)]:
                    way, prefix = ways[name]
                    seconds, digest = timed(way, f"{prefix}{size_mib}-{i}", payload)
                    assert digest == expected, f"bytes {name} differ"
                    times[name].append(seconds)
            outpost, plain, other = times["Outpost"], times["direct"], times.get("nginx")
            o, d = statistics.median(outpost), statistics.median(plain)
            rate = 2 * size_mib  # MiB moved per round trip
            lines.append(
                f"{provider:4} {size_mib:5d} MiB  Outpost {o:7.2f} s ({rate / o:6.0f} MiB/s)"
                f"   direct {d:7.2f} s ({rate / d:6.0f} MiB/s)   ratio {d / o:4.2f}"
            )
            print(lines[-1], flush=True)
            if other:
                n = statistics.median(other)
                lines.append(
                    f"{'':4} {'':9}  peer nginx {n:7.2f} s ({rate / n:6.0f} MiB/s):"
                    f" direct / nginx {d / n:4.2f}, nginx / Outpost {n / o:4.2f}"
                )
                print(lines[-1], flush=True)
    finally:
        if peer is not None:
            peer.stop()
        server.stop()
        if storage is not None:
            storage.stop()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="add a 1 GiB file")
    parser.add_argument("--large-rounds", type=int, default=2, help="rounds of the 1 GiB file")
    parser.add_argument("--providers", default="fs,s3,gcs")
    parser.add_argument(
        "--no-nginx", action="store_true", help="leave out the nginx peer of the filesystem"
    )
    args = parser.parse_args()
    print("round trip = upload + download of the same bytes; ratio = direct time / Outpost time")
    print("(target >= 0.9); MiB/s counts both directions", flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        payloads = [(tmp / "payload.bin", 0, args.rounds)]
        payloads[0] = (
            payloads[0][0],
            write_payload(payloads[0][0], args.size_mib * MIB),
            args.rounds,
        )
        if args.large:
            big = tmp / "payload-1g.bin"
            payloads.append((big, write_payload(big, 1024 * MIB), args.large_rounds))
        for provider in args.providers.split(","):
            measure(provider.strip(), tmp, payloads, nginx=not args.no_nginx)


if __name__ == "__main__":
    main()
