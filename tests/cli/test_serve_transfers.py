"""Large and slow transfers through a real ``outpost serve`` on its embedded defaults (issue 20).

* A file of several hundred MiB goes up to a run file's pre-signed URL and comes back byte for
  byte, while the worker's memory stays flat (the body is streamed to disk, never held).
* Two slow uploads do not take away the workers that answer everyone else.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import threading
from urllib.parse import urlsplit

import pytest
import requests

from tests.fixtures.outpost_server import OutpostServer, peak_rss_bytes

MIB = 1024 * 1024
LARGE = 300 * MIB


class PatternBody:
    """``size`` deterministic pseudo-random bytes, produced as they are read (the test holds
    1 MiB, not the file), hashed on the way."""

    def __init__(self, size: int):
        self.size, self.offset = size, 0
        self.block = os.urandom(MIB)
        self.sha = hashlib.sha256()

    def __len__(self) -> int:
        return self.size - self.offset

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.offset if n is None or n < 0 else min(n, self.size - self.offset)
        start = self.offset % MIB
        chunk = self.block[start : start + min(n, MIB - start)]
        if start == 0 and chunk:  # each MiB differs: its index in the first 8 bytes
            chunk = (self.offset // MIB).to_bytes(8, "big")[: len(chunk)] + chunk[8:]
        self.offset += len(chunk)
        self.sha.update(chunk)
        return chunk


@pytest.fixture
def server(tmp_path):
    started = OutpostServer(tmp_path / "data")
    try:
        yield started
    finally:
        started.stop()


def _declare(server: OutpostServer, files_url: str, path: str, size: int) -> dict:
    declared = server.api.post(files_url, json={"path": path, "size": size}, timeout=10)
    assert declared.status_code == 201, declared.text
    return declared.json()["upload"]


def test_a_file_of_hundreds_of_mib_goes_up_and_comes_back_with_flat_memory(server):
    files_url = server.make_run()
    upload = _declare(server, files_url, "checkpoints/model.pt", LARGE)
    before = {pid: peak_rss_bytes(pid) for pid in server.worker_pids()}

    body = PatternBody(LARGE)
    put = requests.put(upload["url"], data=body, headers=upload["headers"], timeout=300)
    assert put.status_code == 200, (put.status_code, put.text[:300], server.log_tail())
    assert put.json()["size"] == LARGE

    [item] = server.api.get(files_url, timeout=10).json()["items"]
    fetched, received = hashlib.sha256(), 0
    with requests.get(item["download"]["url"], stream=True, timeout=300) as got:
        assert got.status_code == 200
        for chunk in got.iter_content(MIB):
            fetched.update(chunk)
            received += len(chunk)
    assert received == LARGE and fetched.hexdigest() == body.sha.hexdigest()
    growth = {pid: peak_rss_bytes(pid) - rss for pid, rss in before.items()}
    assert max(growth.values()) < 64 * MIB, growth  # the file is 300 MiB


class SlowUpload(threading.Thread):
    """A PUT that sends its headers and then a trickle of bytes until ``finish`` is set."""

    def __init__(self, upload: dict, size: int):
        super().__init__(daemon=True)
        self.upload, self.size = upload, size
        self.started_body, self.finish = threading.Event(), threading.Event()
        self.status: int | None = None

    def run(self) -> None:
        url = urlsplit(self.upload["url"])
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        conn.putrequest("PUT", f"{url.path}?{url.query}" if url.query else url.path)
        for name, value in self.upload["headers"].items():
            conn.putheader(name, value)
        conn.endheaders()
        sent, piece = 0, b"x" * 1024
        while sent < self.size:
            if not self.finish.is_set():
                self.finish.wait(0.05)  # a slow client: 1 KiB every 50 ms
            conn.send(piece)
            sent += len(piece)
            self.started_body.set()
        response = conn.getresponse()
        self.status = response.status
        response.read()
        conn.close()


def test_a_request_is_answered_while_two_slow_uploads_are_in_progress(server):
    files_url = server.make_run()
    size = 2 * MIB
    slow = [SlowUpload(_declare(server, files_url, f"slow-{i}.bin", size), size) for i in (1, 2)]
    for upload in slow:
        upload.start()
    try:
        for upload in slow:
            assert upload.started_body.wait(20)
        # Before: the two sync workers were both reading bodies; this waited until one ended.
        probe = server.api.get(f"{server.base}/api/v1/viewer", timeout=20)
        assert probe.status_code == 200 and probe.json()["username"] == "ada"
        assert all(upload.is_alive() and upload.status is None for upload in slow)
    finally:
        for upload in slow:
            upload.finish.set()
        for upload in slow:
            upload.join(timeout=60)
    assert [upload.status for upload in slow] == [200, 200], server.log_tail()


def test_an_unknown_worker_class_stops_the_server_with_the_variable_named():
    from server.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="OUTPOST_SERVER_WORKER_CLASS"):
        load_settings(environ={"OUTPOST_SERVER_WORKER_CLASS": "eventlet"})
    with pytest.raises(ConfigError, match="OUTPOST_SERVER_THREADS"):
        load_settings(environ={"OUTPOST_SERVER_THREADS": "0"})
    assert load_settings(environ={}).server_worker_class == "gthread"
