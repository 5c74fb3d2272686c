"""Every privilege change asks for confirmation first (the data-confirm hook of outpost.js):
make/remove admin, deactivate, reactivate, seat change, team role change (also one's own) and
the registry-admin toggle."""

import re

from tests.console.helpers import html, signed_in
from tests.factories import make_team, make_user


def _forms(page: str, action_part: str) -> list[str]:
    """The opening tags of every form whose action contains ``action_part``."""
    return [
        tag
        for tag in re.findall(r"<form\b[^>]*>", page, flags=re.S)
        if 'method="post"' in tag and action_part in tag
    ]


def test_every_user_privilege_change_asks_first(admin):
    make_user("ada", password=None)
    make_user("eve", password=None, system_admin=True)
    page = html(admin.get("/admin/users"))
    forms = _forms(page, "/change")
    # ada: seat, deactivate, make admin; eve: seat, deactivate, remove admin; root too.
    assert len(forms) >= 6
    assert all("data-confirm=" in tag for tag in forms), forms
    assert "Make admin ada? They get full control of this instance" in page
    assert "Remove admin eve? They lose system admin rights" in page
    assert "Deactivate ada? They are signed out at once" in page
    assert "Change the seat of ada?" in page
    assert "Remove your own system admin rights?" in page  # root demoting themself


def test_team_role_changes_ask_first_and_say_when_you_demote_yourself(app):
    ada, bob = make_user("ada", password=None), make_user("bob", password=None)
    make_team("lab", admins=[ada], members=[bob])
    console = signed_in(app.test_client(), ada)
    page = html(console.get("/teams/lab/members"))
    role_forms = _forms(page, "/role")
    assert len(role_forms) == 2 and all("data-confirm=" in tag for tag in role_forms)
    assert "Change the role of bob in lab?" in page
    assert "Change your own role in lab? If you choose a role below admin" in page
    registry = _forms(page, "/registry-admin")
    assert registry and all("data-confirm=" in tag for tag in registry)


def test_team_admins_are_shown_as_registry_admins(app):
    ada, bob = make_user("ada", password=None), make_user("bob", password=None)
    make_team("lab", admins=[ada], members=[bob])
    page = html(signed_in(app.test_client(), ada).get("/teams/lab/members"))
    row = page.split('data-member="ada"', 1)[1].split("</tr>", 1)[0]
    assert "Yes, as team admin" in row and ">No<" not in row
