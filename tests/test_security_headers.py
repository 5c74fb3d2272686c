"""Security headers on every response (issue 12 #8): console pages, the API, errors, static
files, health checks; HSTS only in production over HTTPS; a stricter header a view set stays."""

import pytest
from flask import Response

from server.config import load_settings
from server.security_headers import content_security_policy
from tests.factories import make_user

CONTENT_SECURITY_POLICY = content_security_policy(load_settings(environ={}))
EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

PATHS = [
    ("/login", 200),  # console page
    ("/", 302),  # console redirect to sign-in
    ("/settings/profile", 302),
    ("/api/v1/viewer", 401),  # API error
    ("/api/v1/openapi.json", 200),
    ("/api/v1/teams/nope/projects", 401),
    ("/healthz", 200),
    ("/readyz", 200),
    ("/static/outpost.css", 200),
    ("/static/outpost.js", 200),
    ("/favicon.ico", 200),
    ("/no/such/page", 404),
    ("/storage/fs/not-a-token", 403),
    ("/login?next=%00", 400),
]


def _assert_headers(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))


@pytest.mark.parametrize(("path", "status"), PATHS)
def test_every_response_carries_the_security_headers(client, path, status):
    response = client.get(path)
    response.close()  # static files are streamed
    assert response.status_code == status
    _assert_headers(response)
    assert "Strict-Transport-Security" not in response.headers  # development, plain HTTP


def test_signed_in_pages_and_csrf_errors_carry_them(client, admin):
    _assert_headers(admin.get("/admin/users"))
    refused = client.post("/logout", data={})  # no CSRF token: the console's error page
    assert refused.status_code in (302, 400)
    _assert_headers(refused)


def test_the_csp_allows_only_the_consoles_own_assets():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "object-src": "'none'",
    }


@pytest.mark.parametrize(
    ("environ", "extra"),
    [
        ({"OUTPOST_STORAGE_PROVIDER": "minio", "OUTPOST_STORAGE_ENDPOINT": "https://s3.lab:9000"},
         ["https://s3.lab:9000"]),
        ({"OUTPOST_STORAGE_PROVIDER": "s3", "OUTPOST_STORAGE_REGION": "eu-west-1"},
         ["https://outpost--users.s3.amazonaws.com",
          "https://outpost--users.s3.eu-west-1.amazonaws.com"]),
        ({"OUTPOST_STORAGE_PROVIDER": "gcs"}, ["https://storage.googleapis.com"]),
        ({"OUTPOST_CSP_IMAGE_SOURCES": "https://img.shields.io, https://*.example.org:8443"},
         ["https://img.shields.io", "https://*.example.org:8443"]),
    ],
)  # fmt: skip
def test_pictures_may_come_from_the_instance_storage(environ, extra):
    """Profile pictures redirect to a pre-signed URL of the instance storage."""
    policy = content_security_policy(load_settings(environ=environ))
    assert f"img-src 'self' data: {' '.join(extra)};" in policy


def test_unhandled_errors_carry_them(make_app):
    app = make_app()

    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom-for-test")
    assert response.status_code == 500
    _assert_headers(response)


def test_a_stricter_header_set_by_a_view_is_kept(make_app):
    app = make_app()

    @app.get("/sandboxed-for-test")
    def sandboxed():
        return Response("x", headers={"Content-Security-Policy": "sandbox"})

    response = app.test_client().get("/sandboxed-for-test")
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_in_production_over_https_only(make_app):
    app = make_app(env="production", license_extra_public_keys=[])
    secure = app.test_client().get("/healthz", base_url="https://outpost.example.test")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    _assert_headers(secure)
    plain = app.test_client().get("/healthz")
    assert "Strict-Transport-Security" not in plain.headers


def test_no_hsts_in_development_even_over_https(client):
    response = client.get("/healthz", base_url="https://outpost.example.test")
    assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def admin(client):
    from tests.console.helpers import signed_in

    return signed_in(client, make_user("root", system_admin=True, password=None))
