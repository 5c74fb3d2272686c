"""URLs inside uploaded credentials are endpoints too: a service-account JSON whose token_uri
(or any other URL) names a host the admin has not allowed is refused before any request, and
errors never repeat what a remote server answered nor say how a connection failed."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from server.extensions import db
from server.models import Team
from server.services import licensing, system_settings
from server.storage import (
    EndpointNotAllowed,
    StorageSettings,
    check_connection_allowed,
)
from tests.factories import bearer, make_key, make_user
from tests.fixtures.ports import free_port

REMOTE_SECRET = "internal-metadata-4f9c1e"


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def service_account(**fields) -> dict:
    """A well-formed service-account JSON with Google's usual URLs, changed by ``fields``."""
    return {
        "type": "service_account",
        "project_id": "outpost-test",
        "private_key_id": "0123456789abcdef",
        "private_key": private_key_pem(),
        "client_email": "outpost@outpost-test.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/outpost",
        "universe_domain": "googleapis.com",
        **fields,
    }


@pytest.fixture
def listener():
    """A loopback socket that records every connection made to it (and answers nothing)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.1)
    accepted, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            accepted.append(conn)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    sock.close()


@pytest.fixture
def token_server():
    """An HTTP server that answers every POST with a 400 whose body holds a secret."""
    requests_seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            requests_seen.append(self.path)
            body = json.dumps({"error": "invalid_grant", "error_description": REMOTE_SECRET})
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests_seen
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def admin_key(make_app, issue_license):
    app = make_app(url="https://outpost.example.test")
    with app.app_context():
        licensing.install_license(issue_license())
        app.key = make_key(make_user("root", system_admin=True, password=None))
        yield app


def allow(*endpoints: str) -> None:
    patterns = [e.split("://", 1)[1] for e in endpoints]
    system_settings.update_settings({"byob_endpoint_allowlist": patterns})


def on_the_emulator(gcs_endpoint: str, **fields) -> dict:
    """A service account whose URLs all point at the (allowed) GCS endpoint, but ``fields``."""
    urls = ("auth_uri", "token_uri", "auth_provider_x509_cert_url", "client_x509_cert_url")
    return service_account(**{**{name: f"{gcs_endpoint}/{name}" for name in urls}, **fields})


def create_gcs_team(app, gcs_endpoint: str, credentials: dict):
    slug = f"byob-{uuid.uuid4().hex[:8]}"
    spec = {
        "provider": "gcs",
        "bucket": f"customer-{uuid.uuid4().hex[:8]}",
        "endpoint": gcs_endpoint,
        "credentials": {"service_account_json": json.dumps(credentials)},
    }
    response = app.test_client().post(
        "/api/v1/teams", json={"name": slug, "storage": spec}, headers=bearer(app.key)
    )
    assert db.session.scalar(db.select(Team).where(Team.slug == slug)) is None
    return response


@pytest.mark.parametrize(
    "field",
    [
        "token_uri",
        "auth_uri",
        "auth_provider_x509_cert_url",
        "client_x509_cert_url",
        "credential_source.url",
    ],
)
def test_a_credentials_url_off_the_allowlist_receives_no_request(
    admin_key, gcs_server, listener, field
):
    target, accepted = listener
    allow(gcs_server.endpoint)  # the bucket's endpoint is allowed, the listener is not
    if field == "credential_source.url":
        credentials = on_the_emulator(gcs_server.endpoint, credential_source={"url": target})
    else:
        credentials = on_the_emulator(gcs_server.endpoint, **{field: f"{target}/token"})
    response = create_gcs_team(admin_key, gcs_server.endpoint, credentials)

    assert response.status_code == 403, response.json
    error = response.json["error"]
    assert error["code"] == "endpoint_not_allowed"
    assert field in error["message"] and "No request was sent" in error["message"]
    assert accepted == []


def test_a_foreign_universe_domain_is_refused(admin_key, gcs_server):
    allow(gcs_server.endpoint)
    credentials = on_the_emulator(gcs_server.endpoint, universe_domain="attacker.example")
    response = create_gcs_team(admin_key, gcs_server.endpoint, credentials)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "endpoint_not_allowed"
    assert "https://storage.attacker.example" in response.json["error"]["message"]


def test_an_allowed_token_endpoint_s_answer_is_never_repeated(admin_key, gcs_server, token_server):
    target, seen = token_server
    allow(gcs_server.endpoint, target)
    response = create_gcs_team(
        admin_key, gcs_server.endpoint, on_the_emulator(gcs_server.endpoint, token_uri=target)
    )
    assert seen, "the allowed token endpoint was asked"
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert (error["code"], error["reason"]) == (
        "bucket_verification_failed",
        "storage_invalid_credentials",
    )
    assert REMOTE_SECRET not in json.dumps(response.json)
    assert "invalid_grant" not in json.dumps(response.json)


def test_a_closed_allowed_port_is_not_told_apart_from_other_failures(admin_key, gcs_server):
    closed = f"http://127.0.0.1:{free_port()}"
    allow(gcs_server.endpoint, closed)
    response = create_gcs_team(
        admin_key, gcs_server.endpoint, on_the_emulator(gcs_server.endpoint, token_uri=closed)
    )
    assert response.status_code == 503, response.json
    message = response.json["error"]["message"].lower()
    assert response.json["error"]["code"] == "storage_unavailable"
    assert "refused" not in message and "errno" not in message and "111" not in message


def test_malformed_service_account_json_is_422(admin_key, gcs_server, listener):
    allow(gcs_server.endpoint)
    slug = f"byob-{uuid.uuid4().hex[:8]}"
    spec = {
        "provider": "gcs",
        "bucket": "customer-bucket",
        "endpoint": gcs_server.endpoint,
        "credentials": {"service_account_json": "{not json"},
    }
    response = admin_key.test_client().post(
        "/api/v1/teams", json={"name": slug, "storage": spec}, headers=bearer(admin_key.key)
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_credentials"


# -- the rule itself (no network) ---------------------------------------------------------------


def gcs_settings(endpoint: str | None, **fields) -> StorageSettings:
    return StorageSettings(
        provider="gcs", endpoint=endpoint, credentials_info=service_account(**fields)
    )


def test_google_s_own_sign_in_hosts_count_as_allowed_with_google_cloud_storage():
    settings = gcs_settings(None)
    assert check_connection_allowed(settings, ["storage.googleapis.com"]) == (
        "https://storage.googleapis.com"
    )


def test_google_s_sign_in_hosts_are_not_allowed_for_another_endpoint():
    settings = gcs_settings("https://gcs.corp.example")
    with pytest.raises(EndpointNotAllowed, match="token_uri|auth_uri"):
        check_connection_allowed(settings, ["gcs.corp.example"])
    allowed = ["gcs.corp.example", "accounts.google.com", "oauth2.googleapis.com"]
    allowed += ["www.googleapis.com"]
    assert check_connection_allowed(settings, allowed) == "https://gcs.corp.example"


@pytest.mark.parametrize(
    "url",
    ["http://user:pw@oauth2.googleapis.com/token", "ftp://oauth2.googleapis.com/", "http://[::1"],
)
def test_credential_urls_that_are_not_plain_http_are_refused(url):
    with pytest.raises(EndpointNotAllowed, match="token_uri"):
        check_connection_allowed(gcs_settings(None, token_uri=url), ["*.googleapis.com"])
