"""BYOB endpoint allowlist: refused endpoints never receive a request."""

import socket
import threading

import pytest

from server.storage import (
    EndpointNotAllowed,
    StorageConfigError,
    check_endpoint_allowed,
    connector_settings,
    get_provider,
    validate_allowlist,
)

ALLOWLIST = [
    "s3.amazonaws.com",
    "*.amazonaws.com",
    "storage.googleapis.com",
    "127.0.0.1:9000",
    "http://minio.internal:9000",
]


@pytest.mark.parametrize(
    ("endpoint", "normalised"),
    [
        ("s3.amazonaws.com", "https://s3.amazonaws.com"),
        ("https://S3.EU-West-1.amazonaws.com/", "https://s3.eu-west-1.amazonaws.com"),
        ("https://storage.googleapis.com", "https://storage.googleapis.com"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("http://minio.internal:9000", "http://minio.internal:9000"),
    ],
)
def test_allowed_endpoints(endpoint, normalised):
    assert check_endpoint_allowed(endpoint, ALLOWLIST) == normalised


@pytest.mark.parametrize(
    "endpoint",
    [
        "amazonaws.com",  # *.domain does not admit the domain itself
        "s3.amazonaws.com.evil.example",
        "https://s3.amazonaws.com:8443",  # no port in the pattern: default port only
        "127.0.0.1:9001",
        "https://minio.internal:9000",  # the pattern pins http
        "https://user:pw@s3.amazonaws.com",
        "https://s3.amazonaws.com/bucket",
        "https://s3.amazonaws.com?x=1",
        "ftp://s3.amazonaws.com",
        "",
        "http://[::1",  # urlsplit refuses it outright
        "http://[not-an-ip]:9000",
    ],
)
def test_refused_endpoints(endpoint):
    with pytest.raises(EndpointNotAllowed):
        check_endpoint_allowed(endpoint, ALLOWLIST)


def test_empty_allowlist_admits_nothing():
    with pytest.raises(EndpointNotAllowed):
        check_endpoint_allowed("https://s3.amazonaws.com", [])


def test_allowlist_validation():
    assert validate_allowlist([" *.amazonaws.com "]) == ["*.amazonaws.com"]
    with pytest.raises(StorageConfigError):
        validate_allowlist(["https://host/path"])
    with pytest.raises(StorageConfigError):
        validate_allowlist(["http://[::1"])


def test_provider_defaults_are_checked_too():
    s3 = connector_settings("s3", region="eu-west-1", access_key="k", secret_key="s")
    gcs = connector_settings("gcs", credentials_info={"type": "service_account"})
    get_provider(s3, endpoint_allowlist=["*.amazonaws.com"])
    get_provider(gcs, endpoint_allowlist=["storage.googleapis.com"])
    with pytest.raises(EndpointNotAllowed):
        get_provider(s3, endpoint_allowlist=["storage.googleapis.com"])
    with pytest.raises(EndpointNotAllowed):
        get_provider(gcs, endpoint_allowlist=["*.amazonaws.com"])


@pytest.fixture
def listener():
    """A loopback socket that counts the connections made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.2)
    accepted = []
    stop = threading.Event()

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


@pytest.mark.parametrize("provider", ["s3", "gcs"])
def test_refused_endpoint_receives_no_request(listener, provider):
    endpoint, accepted = listener
    credentials = (
        {"access_key": "k", "secret_key": "s"}
        if provider == "s3"
        else {"credentials_info": {"type": "service_account"}}
    )
    settings = connector_settings(provider, endpoint=endpoint, **credentials)
    with pytest.raises(EndpointNotAllowed) as caught:
        get_provider(settings, endpoint_allowlist=["s3.amazonaws.com"])
    assert endpoint in caught.value.message
    assert accepted == []


def test_connector_settings_never_use_server_credentials():
    with pytest.raises(StorageConfigError):
        connector_settings("filesystem")
    with pytest.raises(StorageConfigError):
        connector_settings("gcs", kms_key_id="key")
    settings = connector_settings("s3", endpoint="http://127.0.0.1:9000")
    assert settings.ambient_credentials is False
    with pytest.raises(StorageConfigError):
        get_provider(settings).ping()  # no keys of its own: refused, not borrowed
