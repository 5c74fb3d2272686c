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


def test_an_unhandled_error_logs_neither_the_token_nor_the_statements_values(app):
    """What ``errors.handle_unexpected`` logs: the path given as ``extra`` and the traceback
    of a failed statement, whose values may be a license token or a hash."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from server.extensions import db

    with pytest.raises(DBAPIError) as failed:
        db.session.execute(text("INSERT INTO no_such_table VALUES (:v)"), {"v": "secret-value"})
    db.session.rollback()
    record = logging.LogRecord(
        "server", logging.ERROR, __file__, 1, "unhandled error", (), (None, failed.value, None)
    )
    record.path = "/invitations/secret-token-abc"
    line = JsonFormatter().format(record)
    assert "secret-value" not in line and "secret-token-abc" not in line
    assert json.loads(line)["path"] == "/invitations/[redacted]"
