"""The default team a client that names none logs to, read three ways that must agree: the ORM
query (console, W&B), the one-statement slug (fallback) and the API-key lookup's preloaded
column (``GET /api/v1/viewer``), on SQLite and PostgreSQL."""

from server.extensions import db
from server.models import Membership
from server.services import profile
from tests.factories import add_member, bearer, make_key, make_team, make_user


def _answers(client, user, key) -> set:
    orm = profile.default_team_for(user.id)
    return {
        orm.slug if orm else None,
        profile.default_team_slug(user.id),
        client.get("/api/v1/viewer", headers=bearer(key)).json["default_team"],
    }


def test_every_reading_of_the_default_team_agrees(client, app):
    ada = make_user("ada")
    key = make_key(ada)
    assert _answers(client, ada, key) == {None}  # no team

    vision = make_team("vision", members=[ada])
    assert _answers(client, ada, key) == {"vision"}  # the only team

    nlp = make_team("nlp", members=[ada])
    assert _answers(client, ada, key) == {None}  # several, none chosen

    profile.update_profile(ada.id, {"default_team": "vision"})
    assert _answers(client, ada, key) == {"vision"}  # the chosen one

    vision.state = "deleted"
    db.session.commit()
    assert _answers(client, ada, key) == {"nlp"}  # chosen team gone: the only active one left

    vision.state = "active"
    db.session.commit()
    assert _answers(client, ada, key) == {"vision"}

    db.session.query(Membership).filter_by(team_id=vision.id, user_id=ada.id).delete()
    db.session.commit()
    assert _answers(client, ada, key) == {"nlp"}  # left the chosen team

    add_member(make_team("zeta"), ada)
    assert _answers(client, ada, key) == {None}  # two teams again, the choice no longer holds

    other = make_user("bob")
    make_team("bobs", members=[other])
    assert _answers(client, ada, key) == {None}  # someone else's team changes nothing
    nlp.state = "deleted"
    db.session.commit()
    assert _answers(client, ada, key) == {"zeta"}
