"""An upload to the embedded storage is read straight from gunicorn's socket (issue 20): what
a client sees on the connection around it must not change.

* A request pipelined right behind an upload on the same connection is answered, whether
  gunicorn had read the whole upload with the headers or not.
* An upload cut short answers ``incomplete_upload``, leaves nothing behind, and the server
  goes on answering.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest
import requests

from tests.fixtures.outpost_server import OutpostServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = OutpostServer(tmp_path_factory.mktemp("upload-body") / "data")
    try:
        started.files_url = started.make_run()
        yield started
    finally:
        started.stop()


def _declare(server: OutpostServer, path: str, size: int) -> dict:
    declared = server.api.post(server.files_url, json={"path": path, "size": size}, timeout=10)
    assert declared.status_code == 201, declared.text
    return declared.json()["upload"]


def _put_request(upload: dict, size: int) -> bytes:
    url = urlsplit(upload["url"])
    lines = [f"PUT {url.path} HTTP/1.1", f"Host: {url.netloc}", f"Content-Length: {size}"]
    lines += [
        f"{name}: {value}"
        for name, value in upload["headers"].items()
        if name.lower() != "content-length"
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _responses(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """Read ``count`` HTTP/1.1 responses (with Content-Length bodies) off the connection."""
    reader, found = sock.makefile("rb"), []
    for _ in range(count):
        status = int(reader.readline().split()[1])
        length = 0
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        found.append((status, reader.read(length)))
    return found


def _download(server: OutpostServer, path: str) -> requests.Response:
    listing = server.api.get(server.files_url, params={"limit": 200}, timeout=10).json()
    [item] = [item for item in listing["items"] if item["path"] == path]
    return requests.get(item["download"]["url"], timeout=30)


@pytest.mark.parametrize("size", [3000, 3 * 1024 * 1024], ids=["with-headers", "from-socket"])
def test_a_request_pipelined_behind_an_upload_is_answered(server, size):
    body = os.urandom(size)
    upload = _declare(server, f"pipelined-{size}.bin", size)
    readyz = f"GET /readyz HTTP/1.1\r\nHost: {urlsplit(server.base).netloc}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(_put_request(upload, size) + body + readyz)
        (put_status, put_body), (ready_status, _) = _responses(sock, 2)
    assert put_status == 200, put_body
    assert ready_status == 200
    assert _download(server, f"pipelined-{size}.bin").content == body


def test_an_upload_cut_short_is_refused_and_leaves_nothing_behind(server, tmp_path):
    size = 2 * 1024 * 1024
    upload = _declare(server, "cut-short.bin", size)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(_put_request(upload, size) + os.urandom(size // 3))
        sock.shutdown(socket.SHUT_WR)  # the client goes away a third of the way in
        [(status, answer)] = _responses(sock, 1)
    assert status == 400 and b"incomplete_upload" in answer, answer
    assert _download(server, "cut-short.bin").status_code == 404
    leftovers = list((server.data_dir / "storage" / ".outpost" / "tmp").iterdir())
    assert leftovers == []
    assert server.api.get(f"{server.base}/api/v1/viewer", timeout=10).status_code == 200
