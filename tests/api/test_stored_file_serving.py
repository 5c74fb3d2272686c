"""User-uploaded bytes never run as the Outpost origin (issue 12 #1).

A member uploads ``media/plot.html`` and an SVG as run files through the real API and the
embedded storage's signed URLs, served by a live server; the download link answers with an
attachment, ``nosniff`` and ``Content-Security-Policy: sandbox``; a team admin opening it in
Chromium gets a download, and the page's script never runs."""

import hashlib
import threading

import pytest
import requests
from werkzeug.serving import make_server

from server.extensions import db
from server.services import teams as team_service
from tests.factories import (
    PASSWORD,
    add_member,
    bearer,
    csrf_token,
    make_key,
    make_project,
    make_run,
    make_user,
)
from tests.fixtures.browser import sign_in
from tests.fixtures.ports import free_port

BEACON = "/healthz?xss-ran"
HTML = f"<html><body><script>fetch('{BEACON}')</script>hello</body></html>".encode()
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("' + BEACON + '")</script></svg>'
).encode()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def served(make_app):
    """A live server whose configured URL is its own address (the storage links point here)."""
    port = free_port()
    app = make_app(url=f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with app.app_context():
        admin = make_user("ada")
        member = make_user("bob", password=None)
        team = team_service.create_team(admin, "lab")
        add_member(team, member, "member")
        make_run(make_project(team, "mnist"), member, "r1")
        key = make_key(member)
        db.session.remove()
    try:
        yield f"http://127.0.0.1:{port}", key
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def _upload_run_file(base: str, key: str, path: str, data: bytes) -> str:
    """Declare, upload (claiming an active type) and return the file's download URL."""
    files = f"{base}/api/v1/teams/lab/projects/mnist/runs/r1/files"
    declared = requests.post(
        files, json={"path": path, "size": len(data)}, headers=bearer(key), timeout=10
    )
    assert declared.status_code == 201, declared.text
    upload = declared.json()["upload"]
    headers = {**upload["headers"], "Content-Type": "text/html"}
    put = requests.put(upload["url"], data=data, headers=headers, timeout=10)
    assert put.status_code == 200, put.text
    listing = requests.get(files, headers=bearer(key), timeout=10).json()["items"]
    return next(item["download"]["url"] for item in listing if item["path"] == path)


@pytest.mark.parametrize("path, data", [("media/plot.html", HTML), ("media/chart.svg", SVG)])
def test_active_run_files_are_served_as_sandboxed_attachments(served, path, data):
    base, key = served
    url = _upload_run_file(base, key, path, data)
    assert url.startswith(f"{base}/storage/fs/")
    got = requests.get(url, timeout=10)
    assert got.status_code == 200 and got.content == data
    name = path.rsplit("/", 1)[1]
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Security-Policy"] == "sandbox"


def test_images_stay_viewable_inline(served):
    base, key = served
    got = requests.get(_upload_run_file(base, key, "media/x.png", PNG), timeout=10)
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["Content-Disposition"] == 'inline; filename="x.png"'
    assert got.headers["Content-Security-Policy"] == "sandbox"


@pytest.mark.browser
def test_a_team_admin_opening_the_link_gets_a_download_and_no_script_runs(served, browser):
    base, key = served
    urls = [_upload_run_file(base, key, p, d) for p, d in (("p.html", HTML), ("c.svg", SVG))]
    context = browser.new_context(base_url=base, accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    beacons = []
    context.on("request", lambda r: beacons.append(r.url) if "xss-ran" in r.url else None)
    try:
        sign_in(page, "ada", PASSWORD)
        for url in urls:
            with page.expect_download() as download:
                page.evaluate("url => { window.location.href = url }", url)
            assert download.value.suggested_filename in ("p.html", "c.svg")
        # Even rendered in a frame of our own origin, the bytes could not run script.
        page.goto("/settings/profile")
        page.evaluate(
            "url => { const f = document.createElement('iframe'); f.src = url;"
            " document.body.appendChild(f); }",
            urls[0],
        )
        page.wait_for_timeout(500)
    finally:
        context.close()
    assert beacons == []


def test_artifact_files_and_pictures_follow_the_same_policy(served):
    base, key = served
    api = requests.Session()
    api.headers.update(bearer(key))
    artifacts = f"{base}/api/v1/teams/lab/projects/mnist/artifacts"
    assert api.post(artifacts, json={"name": "report", "type": "html"}, timeout=10).ok
    manifest = [{"path": "media/plot.html", "digest": sha256(HTML), "size": len(HTML)}]
    created = api.post(f"{artifacts}/report/versions", json={"files": manifest}, timeout=10)
    [upload] = created.json()["uploads"]
    assert requests.put(upload["url"], data=HTML, headers=upload["headers"], timeout=10).ok
    assert api.post(f"{artifacts}/report/versions/v0/commit", json={}, timeout=10).ok
    [item] = api.get(f"{artifacts}/report/versions/v0/download", timeout=10).json()["items"]
    got = requests.get(item["url"], timeout=10)
    assert got.content == HTML
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"] == 'attachment; filename="plot.html"'
    assert got.headers["Content-Security-Policy"] == "sandbox"

    files = {"file": ("me.html", PNG, "text/html")}
    assert api.post(f"{base}/api/v1/viewer/profile/avatar", files=files, timeout=10).ok
    console = requests.Session()  # ada, signed in, looks at bob's picture
    form = csrf_token(console.get(f"{base}/login", timeout=10).text)
    signed_in = {"login": "ada", "password": PASSWORD, "csrf_token": form}
    assert console.post(f"{base}/login", data=signed_in, timeout=10).ok
    picture = console.get(f"{base}/users/bob/avatar", timeout=10)  # follows the redirect
    assert picture.url.startswith(f"{base}/storage/fs/")
    assert picture.content == PNG
    assert picture.headers["Content-Type"] == "image/png"
    assert picture.headers["X-Content-Type-Options"] == "nosniff"
    assert picture.headers["Content-Security-Policy"] == "sandbox"
