"""Helpers for console page tests: sessions without the sign-in form, CSRF-carrying posts."""

from tests.factories import csrf_token


class Console:
    """A test client with a signed-in session, posting forms with its CSRF token."""

    def __init__(self, client):
        self.client = client
        self._token = None

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path, data=None, **kwargs):
        if self._token is None:
            self._token = csrf_token(self.client.get("/").get_data(as_text=True))
        return self.client.post(path, data={"csrf_token": self._token, **(data or {})}, **kwargs)


def signed_in(client, user) -> Console:
    """``client`` with ``user``'s session, as after signing in (the sign-in form itself is
    tested in test_auth.py; skipping it spares two Argon2 hashes per test)."""
    from server.services import console_sessions
    from server.sessions import SESSION_TOKEN_KEY

    token = console_sessions.start(user.id)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session[SESSION_TOKEN_KEY] = token
    return Console(client)


def html(response) -> str:
    return response.get_data(as_text=True)
