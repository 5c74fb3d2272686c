"""Admin › Teams › a team: members in pages, storage and usage, rename (the display name; the
team's name and every link stay), transfer of admin rights, and the way to delete; each change
confirmed, CSRF-protected, redirected and audited."""

from sqlalchemy import select

from server import clock
from server.extensions import db
from server.models import AuditEvent, Membership, Team, TeamStorageUsage, User
from tests.console.helpers import html
from tests.factories import make_project, make_run, make_service_account, make_team, make_user


def _people(*names):
    return [make_user(name, password=None) for name in names]


def _role(team, username):
    return db.session.scalar(
        select(Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(Membership.team_id == team.id, User.username == username)
    )


def test_the_team_page_shows_members_in_pages_and_usage(admin, monkeypatch):
    from server.console import admin_team_detail

    monkeypatch.setattr(admin_team_detail, "PAGE_SIZE", 2)
    ada, bob, cy = _people("ada", "bob", "cy")
    team = make_team("lab", display_name="The Lab", admins=[ada], members=[bob, cy])
    project = make_project(team, "vision", created_by=bob)
    make_run(project, bob)
    make_run(project, cy)
    db.session.add(
        TeamStorageUsage(team_id=team.id, used_bytes=3 * 1024**2, measured_at=clock.now())
    )
    db.session.commit()
    listing = html(admin.get("/admin/teams"))
    assert 'href="/admin/teams/lab"' in listing
    first = html(admin.get("/admin/teams/lab"))
    assert "The Lab" in first and 'data-member="ada"' in first and 'data-member="bob"' in first
    assert 'data-member="cy"' not in first
    usage = first.split('data-testid="team-usage"', 1)[1].split("</section>", 1)[0]
    assert "<dt>Runs</dt><dd>2</dd>" in usage and "<dt>Projects</dt><dd>1</dd>" in usage
    assert "3.0 MiB" in usage
    assert 'href="/admin/teams/lab/delete"' in first
    cursor = first.split("/admin/teams/lab?cursor=", 1)[1].split('"', 1)[0]
    second = html(admin.get(f"/admin/teams/lab?cursor={cursor}"))
    assert 'data-member="cy"' in second and 'data-member="ada"' not in second
    assert admin.get("/admin/teams/nope").status_code == 404


def test_rename_changes_the_display_name_and_keeps_every_link(admin):
    (ada,) = _people("ada")
    make_team("lab", display_name="Lab", admins=[ada])
    page = html(admin.get("/admin/teams/lab"))
    assert 'data-confirm="Rename lab?' in page
    response = admin.post("/admin/teams/lab/rename", {"display_name": "Vision Lab"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/teams/lab"
    assert "lab is now shown as &#39;Vision Lab&#39;" in html(admin.get("/admin/teams/lab"))
    assert db.session.scalar(select(Team.display_name).where(Team.slug == "lab")) == "Vision Lab"
    assert admin.get("/teams/lab/members").status_code == 200  # the old links still work
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "team:update"))
    assert event.actor_name == "root" and event.details == {"fields": ["display_name"]}
    empty = admin.post("/admin/teams/lab/rename", {"display_name": ""})
    assert empty.status_code == 302
    assert "Give a display name" in html(admin.get("/admin/teams/lab"))
    forged = admin.client.post("/admin/teams/lab/rename", data={"display_name": "X"})
    assert forged.status_code == 400  # no CSRF token
    assert db.session.scalar(select(Team.display_name).where(Team.slug == "lab")) == "Vision Lab"


def test_transfer_makes_a_member_admin_and_can_hand_the_team_over(admin):
    ada, bob, cy = _people("ada", "bob", "cy")
    team = make_team("lab", admins=[ada], members=[bob, cy])
    bot = make_service_account(team, "bot")
    page = html(admin.get("/admin/teams/lab"))
    assert 'data-confirm="Give admin rights on lab to this member?' in page
    response = admin.post("/admin/teams/lab/transfer", {"member": "bob"})
    assert response.headers["Location"] == "/admin/teams/lab"
    assert (_role(team, "bob"), _role(team, "ada")) == ("admin", "admin")
    handed = admin.post("/admin/teams/lab/transfer", {"member": "cy", "demote_others": "y"})
    assert handed.status_code == 302
    assert "cy is now an admin of lab. ada, bob became members." in html(
        admin.get("/admin/teams/lab")
    )
    assert [_role(team, n) for n in ("ada", "bob", "cy")] == ["member", "member", "admin"]
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "team:transfer")
        .order_by(AuditEvent.id.desc())
    )
    assert event.details["to"] == "cy" and event.details["demoted"] == ["ada", "bob"]
    for member, message in (
        ("nobody", "&#39;nobody&#39; is not a member of lab."),
        (bot.username, "Service accounts always act with the member role."),
        ("cy", "cy is already an admin of lab."),
    ):
        admin.post("/admin/teams/lab/transfer", {"member": member})
        assert message in html(admin.get("/admin/teams/lab"))
    assert _role(team, bot.username) == "member"
