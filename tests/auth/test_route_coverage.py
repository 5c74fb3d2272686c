"""Fail closed: every endpoint declares a permission or is explicitly public."""

from flask import current_app

from server.auth.declare import access_of
from server.auth.permissions import PERMISSIONS

# Flask's own static-file endpoint serves the console's CSS; it has no view of ours to mark.
BUILTIN_PUBLIC = {"static"}


def test_no_ungated_routes(app):
    missing = []
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint in BUILTIN_PUBLIC:
            continue
        access = access_of(current_app.view_functions[rule.endpoint])
        if access is None:
            missing.append(f"{rule.endpoint} {rule.rule}")
        elif not access.public:
            assert access.permission in PERMISSIONS
    assert missing == [], f"routes without a permission declaration: {missing}"


def test_public_routes_are_the_expected_few(app):
    public = sorted(
        rule.endpoint
        for rule in current_app.url_map.iter_rules()
        if rule.endpoint not in BUILTIN_PUBLIC
        and access_of(current_app.view_functions[rule.endpoint]).public
    )
    allowed = {
        "health.healthz",
        "health.readyz",
        "api.openapi_document",
        "console.login",
        "console.logout",
        "console.setup",
        # The site icon browsers request on every page.
        "console.favicon",
        # Single sign-on: the start of the OpenID Connect flow and the provider's redirect back.
        "console.oidc_login",
        "console.oidc_callback",
        # Sign-up (refused unless signup_mode is open) and the one-time user invitation link.
        "console.signup",
        "console.accept_invite",
        # Forgot password and the e-mailed one-time reset link (its signed token authorizes).
        "console.forgot_password",
        "console.reset_password",
        # A team invitation link: joins a signed-in invitee, or creates the invitee's account.
        "console.team_invitation",
        # The embedded filesystem storage: the signed URL token is the authorization.
        "storage_fs.signed_object",
        # Prometheus: no user session; its own bearer token (OUTPOST_METRICS_TOKEN), off without.
        "metrics.metrics",
    }
    assert set(public) <= allowed, "a new public route must be added here on purpose"
