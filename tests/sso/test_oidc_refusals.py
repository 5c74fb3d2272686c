"""OpenID Connect sign-ins that must fail cleanly (a page that says why, never a 500), each
recorded in the audit log: bad ID tokens from a provider the test controls, a spoiled state,
a replayed code at the real provider, and a provider that cannot be reached."""

import time

import pytest

from tests.factories import make_user
from tests.fixtures.ports import free_port
from tests.sso_support import finish, refusal_reasons, signed_in, start, with_query

CLIENT_ID = "outpost"


@pytest.fixture
def forged_client(make_app, forged_provider):
    app = make_app(
        oidc_issuer=forged_provider.issuer, oidc_client_id=CLIENT_ID, oidc_client_secret="s3cret"
    )
    with app.app_context():
        make_user("ada", email="ada@example.test")
        forged_provider.claims = {"email": "ada@example.test", "email_verified": True}
        yield app.test_client()


def walk(client):
    """Start at Outpost, pass the (form-less) forged provider, come back."""
    import requests

    authorize = requests.get(start(client), allow_redirects=False, timeout=10)
    return finish(client, authorize.headers["Location"])


def test_a_good_token_signs_in_with_pkce(forged_client, forged_provider):
    response = walk(forged_client)
    assert response.status_code == 302 and signed_in(forged_client)


def test_rotated_signing_key_is_fetched_again(forged_client, forged_provider):
    walk(forged_client)
    forged_provider.rotate()
    other = forged_client.application.test_client()
    assert walk(other).status_code == 302 and signed_in(other)


@pytest.mark.parametrize(
    "spoil, reason",
    [
        ({"aud": "another-client"}, "invalid_id_token"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "invalid_id_token"),
        ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, "invalid_id_token"),
        ({"iss": "https://evil.example"}, "invalid_id_token"),
        ({"nonce": "not-the-one-we-sent"}, "invalid_id_token"),
    ],
    ids=["wrong-audience", "expired", "issued-in-the-future", "wrong-issuer", "wrong-nonce"],
)
def test_spoiled_id_token_is_refused(forged_client, forged_provider, spoil, reason):
    forged_provider.overrides = spoil
    response = walk(forged_client)
    assert response.status_code == 401
    assert "ID token was not accepted" in response.get_data(as_text=True)
    assert not signed_in(forged_client)
    assert [r.split(":")[0] for r in refusal_reasons()] == [reason]


def test_token_signed_by_another_key_is_refused(forged_client, forged_provider):
    from joserfc.jwk import RSAKey

    # The same key id as the published key, but a key only an attacker holds.
    forged_provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    response = walk(forged_client)
    assert response.status_code == 401 and not signed_in(forged_client)
    assert refusal_reasons()[0].startswith("invalid_id_token")


def test_token_with_an_unknown_key_id_is_refused(forged_client, forged_provider):
    from joserfc.jwk import RSAKey

    forged_provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    response = walk(forged_client)
    assert response.status_code == 401 and not signed_in(forged_client)


def test_state_mismatch_is_refused(forged_client, forged_provider):
    import requests

    authorize = requests.get(start(forged_client), allow_redirects=False, timeout=10)
    response = finish(forged_client, with_query(authorize.headers["Location"], state="forged"))
    assert response.status_code == 400
    assert "not valid any more" in response.get_data(as_text=True)
    assert forged_provider.token_requests == 0  # the code was never exchanged
    assert refusal_reasons() == ["state_mismatch"]


def test_provider_error_is_a_clear_page(forged_client):
    start(forged_client)
    response = forged_client.get("/login/oidc/callback?error=access_denied&state=x")
    assert response.status_code in (400, 401)
    assert not signed_in(forged_client)


def test_provider_down_at_the_start_is_a_clear_page(make_app):
    app = make_app(oidc_issuer=f"http://127.0.0.1:{free_port()}", oidc_client_id=CLIENT_ID)
    with app.app_context():
        response = app.test_client().get("/login/oidc")
        assert response.status_code == 502
        assert "cannot be reached" in response.get_data(as_text=True)
        assert refusal_reasons() == ["provider_unreachable"]


def test_http_issuer_is_refused_in_production(make_app, forged_provider):
    app = make_app(
        env="production",
        license_extra_public_keys=[],
        oidc_issuer=forged_provider.issuer,
        oidc_client_id=CLIENT_ID,
    )
    with app.app_context():
        response = app.test_client().get("/login/oidc", base_url="https://localhost")
        assert response.status_code == 503
        assert "only outside production" in response.get_data(as_text=True)


def test_provider_down_at_the_callback_is_a_clear_page(forged_client, forged_provider):
    import requests

    authorize = requests.get(start(forged_client), allow_redirects=False, timeout=10)
    forged_provider.stop()
    response = finish(forged_client, authorize.headers["Location"])
    assert response.status_code == 502
    assert "cannot be reached" in response.get_data(as_text=True)
    assert not signed_in(forged_client)
    assert refusal_reasons() == ["provider_unreachable"]


def test_a_provider_that_never_answers_is_given_up_on(make_app):
    from tests.live_server import tarpit

    with tarpit() as (issuer, held):
        app = make_app(oidc_issuer=issuer, oidc_client_id=CLIENT_ID, outbound_timeout=1.0)
        with app.app_context():
            response = app.test_client().get("/login/oidc")
            assert response.status_code == 502 and held  # it connected, then gave up
            assert "cannot be reached" in response.get_data(as_text=True)
