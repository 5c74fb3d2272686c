"""Seed the live test server's database: ``python -m tests.wandb_sdk.world`` with the server's
OUTPOST_* environment prints the people, teams and keys the SDK scenarios use, as JSON."""

from __future__ import annotations

import json

from server import create_app
from server.extensions import db
from server.services import api_keys, teams
from tests.factories import add_member, make_project, make_service_account, make_user


def seed() -> dict[str, str]:
    admin = make_user("ada", email="ada@example.test")
    member = make_user("bob", email="bob@example.test")
    viewer = make_user("vic", email="vic@example.test")
    outsider = make_user("olga", email="olga@example.test")
    doomed = make_user("dan", email="dan@example.test")
    loner = make_user("nora", email="nora@example.test")  # in no team
    lab = teams.create_team(admin, "lab")
    add_member(lab, member, "member")
    add_member(lab, viewer, "view-only")
    add_member(lab, doomed, "member")
    other = teams.create_team(outsider, "other")
    make_project(other, "secret", visibility="private", created_by=outsider)
    bot = make_service_account(lab, "ci")
    keys = {
        user.username: api_keys.create_key(user, "sdk", by_operator=True)[1]
        for user in (admin, member, viewer, outsider, doomed, loner, bot)
    }
    deleted = api_keys.create_key(doomed, "gone", by_operator=True)
    api_keys.delete_key(doomed, deleted[0].key_id)
    keys["bot"] = keys.pop(bot.username)
    return {**keys, "deleted": deleted[1]}


def main() -> None:
    app = create_app()
    with app.app_context():
        world = seed()
        db.session.remove()
    print(json.dumps(world))


if __name__ == "__main__":
    main()
