"""Fixtures for console page tests: a signed-in system admin and an ordinary member."""

import pytest

from tests.console.helpers import signed_in
from tests.factories import make_user


@pytest.fixture
def admin(client):
    """The console as system admin ``root`` (e-mail root@example.test)."""
    return signed_in(client, make_user("root", system_admin=True, password=None))


@pytest.fixture
def member_console(app):
    """A second client signed in as the ordinary user ``member``."""
    return signed_in(app.test_client(), make_user("member", password=None))
