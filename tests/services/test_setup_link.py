"""One setup link per instance: every replica (an app started on the same database with the same
secret key) prints the same link, and it stays valid until the first admin is created."""

from __future__ import annotations

import re

from sqlalchemy import select

from server.cli.serve import _first_admin
from server.extensions import db
from server.models import User
from tests.factories import PASSWORD, csrf_token

LINK = re.compile(r"(http://outpost\.test/setup/(\S+))")


def start_replica(make_app, capsys) -> tuple[object, str]:
    """What `outpost serve` does on start before gunicorn: print the setup link."""
    app = make_app()
    with app.app_context():
        _first_admin("http://outpost.test")
        db.session.remove()
    found = LINK.search(capsys.readouterr().out)
    assert found, "no setup link printed"
    return app, found.group(2)


def test_two_replicas_print_the_same_link_and_it_works_on_either(make_app, capsys):
    first, token_a = start_replica(make_app, capsys)
    second, token_b = start_replica(make_app, capsys)
    assert token_a == token_b
    # A restart of the first replica still prints it: the earlier link did not die.
    _, token_c = start_replica(make_app, capsys)
    assert token_c == token_a

    client = second.test_client()
    page = client.get(f"/setup/{token_a}")
    assert page.status_code == 200
    response = client.post(
        f"/setup/{token_a}",
        data={
            "username": "root",
            "email": "root@example.test",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302
    with second.app_context():
        assert db.session.scalar(select(User).where(User.username == "root")).system_admin
    # Used: dead on every replica, and no replica prints a link any more.
    assert first.test_client().get(f"/setup/{token_a}").status_code == 404
    with first.app_context():
        _first_admin("http://outpost.test")
    assert "/setup/" not in capsys.readouterr().out


def test_another_secret_key_does_not_open_the_link(make_app, capsys):
    _, token = start_replica(make_app, capsys)
    other = make_app(secret_key="another-secret-key-that-is-long-enough-9876543210")
    assert other.test_client().get(f"/setup/{token}").status_code == 404
