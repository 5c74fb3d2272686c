"""New-account forms show their rules up front and every problem at once, next to its field."""

from server.services import system_settings
from tests.console.helpers import html
from tests.factories import csrf_token, make_user


def test_sign_up_shows_the_rules_and_every_problem_at_once(client):
    system_settings.update_settings({"signup_mode": "open"})
    make_user("taken")
    page = html(client.get("/signup"))
    assert 'data-rule="username"' in page and "lowercase letters" in page
    assert 'data-rule="password"' in page and "At least 12 characters." in page
    response = client.post(
        "/signup",
        data={
            "csrf_token": csrf_token(page),
            "username": "Bad Name!",
            "email": "not-an-address",
            "password": "short",
            "confirm": "different",
        },
    )
    assert response.status_code == 422
    text = html(response)
    for field in ("username", "email", "password", "confirm"):
        assert f'data-testid="error-{field}"' in text, field
    assert 'class="flash' not in text  # by the fields, not one banner
    taken = client.post(
        "/signup",
        data={
            "csrf_token": csrf_token(page),
            "username": "taken",
            "email": "taken@example.test",
            "password": "a long enough password",
            "confirm": "a long enough password",
        },
    )
    assert taken.status_code == 422
    assert 'data-testid="error-username">This username is taken.' in html(taken)
    assert 'data-testid="error-email">This e-mail is taken.' in html(taken)
