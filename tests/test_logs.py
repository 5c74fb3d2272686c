"""Log lines name where a request went, never the token of a capability URL."""

import json
import logging

import pytest

from server.logs import JsonFormatter, redact_path


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/setup/abc123", "/setup/[redacted]"),
        ("/invite/abc123", "/invite/[redacted]"),
        ("/invitations/abc123", "/invitations/[redacted]"),
        ("/api/v1/invitations/abc123/accept", "/api/v1/invitations/[redacted]/accept"),
        ("/storage/fs/eyJhYmMxMjMi.sig", "/storage/fs/[redacted]"),
        ("/api/v1/teams/abc123", "/api/v1/teams/abc123"),
    ],
)
def test_capability_tokens_are_redacted(path, shown):
    assert redact_path(path) == shown


def test_the_app_log_shows_the_redacted_path(app):
    record = logging.LogRecord("server", logging.ERROR, __file__, 1, "unhandled error", (), None)
    with app.test_request_context("/storage/fs/secret-token-abc"):
        line = JsonFormatter().format(record)
    assert json.loads(line)["path"] == "/storage/fs/[redacted]"
    assert "secret-token-abc" not in line
