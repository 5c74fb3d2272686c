"""Providers on the session's storage servers, and unique names so tests never share buckets.

The servers come from the ``tests.fixtures.object_storage`` plugin.
"""

import socket
import uuid

import pytest

from server.storage import StorageSettings, bucket_name_for_team, get_provider

PREFIX = "outpost-test"


@pytest.fixture
def team_slug() -> str:
    return f"team-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def bucket(team_slug) -> str:
    return bucket_name_for_team(PREFIX, team_slug)


@pytest.fixture
def s3(s3_server):
    return get_provider(s3_server.settings())


@pytest.fixture
def gcs(gcs_server):
    return get_provider(gcs_server.settings())


@pytest.fixture
def fs_settings(tmp_path) -> StorageSettings:
    return StorageSettings(
        provider="filesystem",
        root_dir=str(tmp_path / "objects"),
        signing_secret="test-signing-secret",
        public_url="http://127.0.0.1:5000",
    )


@pytest.fixture
def fs(fs_settings):
    return get_provider(fs_settings)


@pytest.fixture
def closed_port_endpoint() -> str:
    """A loopback address nothing listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
