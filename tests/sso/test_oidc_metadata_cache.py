"""The provider's discovery document and key set are cached per issuer: a second sign-in asks
the real provider (oidc-provider-mock, its own process here so its access log counts only
this test) for neither, and a provider that comes back with a new signing key still signs
people in (the key set is fetched again once for the unknown key id)."""

import pytest

from server.services.oidc_metadata import DEFAULT_TTL, MAX_TTL, MIN_TTL, cache_seconds
from tests.factories import make_user
from tests.sso_support import finish, signed_in, start

DISCOVERY = "/.well-known/openid-configuration"


@pytest.fixture
def app(make_app, own_oidc_provider):
    app = make_app(
        oidc_issuer=own_oidc_provider.issuer, oidc_client_id="outpost", oidc_client_secret="s3"
    )
    with app.app_context():
        make_user("ada", email="ada@example.test")
        yield app


def sign_in(app, provider):
    provider.set_user("sub-ada", email="ada@example.test", email_verified=True)
    client = app.test_client()
    response = finish(client, provider.authorize(start(client), "sub-ada"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert signed_in(client)


def test_a_second_sign_in_fetches_neither_discovery_nor_keys(app, own_oidc_provider):
    before = own_oidc_provider.requests_for(DISCOVERY)  # the fixture's own readiness probes
    sign_in(app, own_oidc_provider)
    assert own_oidc_provider.requests_for(DISCOVERY) == before + 1
    assert own_oidc_provider.requests_for("/jwks") == 1
    sign_in(app, own_oidc_provider)
    sign_in(app, own_oidc_provider)
    assert own_oidc_provider.requests_for(DISCOVERY) == before + 1
    assert own_oidc_provider.requests_for("/jwks") == 1


def test_a_rotated_signing_key_is_fetched_once_and_signs_in(app, own_oidc_provider):
    sign_in(app, own_oidc_provider)
    own_oidc_provider.restart()  # a new process: a new signing key with a new key id
    before = own_oidc_provider.requests_for(DISCOVERY)
    sign_in(app, own_oidc_provider)
    assert own_oidc_provider.requests_for("/jwks") == 2
    assert own_oidc_provider.requests_for(DISCOVERY) == before  # still cached
    sign_in(app, own_oidc_provider)
    assert own_oidc_provider.requests_for("/jwks") == 2


def test_the_console_test_fetches_afresh_and_resets_the_cache(app, own_oidc_provider):
    from server.services import oidc

    sign_in(app, own_oidc_provider)
    before = own_oidc_provider.requests_for(DISCOVERY)
    with app.test_request_context():
        problems, _facts = oidc.check_provider()
    assert problems == []
    sign_in(app, own_oidc_provider)
    # The Test's own fetch, then the sign-in's fresh one.
    assert own_oidc_provider.requests_for(DISCOVERY) == before + 2


@pytest.mark.parametrize(
    "header, seconds",
    [
        (None, DEFAULT_TTL),
        ("public, max-age=900", 900),
        ("max-age=5", MIN_TTL),
        ("max-age=604800, must-revalidate", MAX_TTL),
        ("no-store", MIN_TTL),
        ("private, s-maxage=10", DEFAULT_TTL),
    ],
)
def test_the_provider_says_how_long_within_bounds(header, seconds):
    assert cache_seconds(header) == seconds
