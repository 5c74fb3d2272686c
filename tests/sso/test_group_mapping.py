"""Group mapping: rules edited in Admin › Sign-in add, change and remove team memberships
across two single sign-ons at the real provider; every change is in the audit log."""

from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Membership, Team, User
from tests.console.helpers import html, signed_in
from tests.factories import add_member, make_team, make_user
from tests.sso_support import finish, start


def _roles(user_id: int) -> dict[str, str]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Team.slug, Membership.role)
        .join(Team, Team.id == Membership.team_id)
        .where(Membership.user_id == user_id)
    ).all()
    return dict(rows)


def _sign_in(app, provider, **claims):
    provider.set_user("sub-gus", email="gus@example.test", email_verified=True, **claims)
    client = app.test_client()
    response = finish(client, provider.authorize(start(client), "sub-gus"))
    assert response.status_code == 302, response.get_data(as_text=True)


def test_mapping_adds_changes_and_removes_across_sign_ins(make_app, oidc_provider):
    app = make_app(
        oidc_issuer=oidc_provider.issuer, oidc_client_id="outpost", oidc_client_secret="s3cret"
    )
    with app.app_context():
        root = make_user("root", system_admin=True, password=None)
        gus = make_user("gus", email="gus@example.test", password=None)
        for slug in ("vision", "nlp", "infra"):
            make_team(slug, admins=[root])
        add_member(db.session.scalar(select(Team).where(Team.slug == "infra")), gus)
        console = signed_in(app.test_client(), root)
        for value, team, role in [
            ("ml-vision", "vision", "member"),
            ("ml-vision-leads", "vision", "admin"),
            ("nlp", "nlp", "member"),
        ]:
            response = console.post(
                "/admin/sign-in/group-rules",
                {"claim": "groups", "value": value, "team": team, "role": role},
            )
            assert response.status_code == 302
        page = html(console.get("/admin/sign-in"))
        assert "ml-vision-leads" in page and "Group mapping" in page
        refused = console.post(
            "/admin/sign-in/group-rules",
            {"claim": "groups", "value": "x", "team": "no-such-team", "role": "member"},
        )
        assert "No team named" in html(console.get(refused.headers["Location"]))

        _sign_in(app, oidc_provider, groups=["ml-vision", "nlp", "unrelated"])
        assert _roles(gus.id) == {"vision": "member", "nlp": "member", "infra": "member"}

        _sign_in(app, oidc_provider, groups=["ml-vision", "ml-vision-leads"])
        # Promoted in vision, out of nlp; the membership added by hand stays.
        assert _roles(gus.id) == {"vision": "admin", "infra": "member"}

        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.target_name == "gus").order_by(AuditEvent.id)
        ).all()
        mapped = [
            (e.action, e.details.get("role"))
            for e in events
            if e.details.get("source") == "sso_group_mapping"
        ]
        assert mapped == [
            ("member:add", "member"),
            ("member:add", "member"),
            ("member:update", "admin"),
            ("member:remove", None),
        ]
        rule_events = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("sso:group_rule%"))
            .order_by(AuditEvent.id)
        ).all()
        assert rule_events == ["sso:group_rule_add"] * 3
        assert db.session.get(User, gus.id).state == "active"


def test_deleting_a_rule_is_audited(make_app):
    app = make_app()
    with app.app_context():
        root = make_user("root", system_admin=True, password=None)
        make_team("vision", admins=[root])
        console = signed_in(app.test_client(), root)
        console.post(
            "/admin/sign-in/group-rules",
            {"claim": "groups", "value": "ml", "team": "vision", "role": "member"},
        )
        rule_id = html(console.get("/admin/sign-in")).split('data-rule="')[1].split('"')[0]
        console.post(f"/admin/sign-in/group-rules/{rule_id}/delete")
        assert "No rules yet" in html(console.get("/admin/sign-in"))
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("sso:group_rule%"))
            .order_by(AuditEvent.id)
        ).all()
        assert actions == ["sso:group_rule_add", "sso:group_rule_remove"]
