"""Who is asking (``viewer``), what the server offers (``serverInfo``) and teams (``entity``)."""

from __future__ import annotations

from typing import Any

from ..auth import can
from ..errors import NotFound
from ..services.profile import default_team_for, my_teams
from ..services.teams import load_team
from .locate import principal
from .shapes import gid


def resolve_viewer() -> dict[str, Any]:
    user = principal()
    default = default_team_for(user.id)
    teams = my_teams(user.id)
    return {
        "__typename": "User",
        "id": gid("User", user.id),
        "entity": default.slug if default else None,
        "username": user.username,
        "name": user.display_name or user.username,
        "email": user.email,
        "admin": user.system_admin,
        "flags": "{}",
        "teams": {
            "edges": [{"node": team_node(team)} for team in teams],
        },
    }


def team_node(team) -> dict[str, Any]:
    return {
        "__typename": "Entity",
        "id": gid("Entity", team.id),
        "name": team.slug,
        "isTeam": True,
        "organization": None,
    }


def resolve_server_info() -> dict[str, Any]:
    # No optional protocol features: clients stay on the paths Outpost implements.
    return {"__typename": "ServerInfo", "features": [], "availableBucketProviders": []}


def resolve_entity(name: str | None = None, **_: Any) -> dict[str, Any] | None:
    if not name:
        return None
    try:
        team = load_team(name)
    except NotFound:
        return None
    if not can(principal(), "team:view_profile", team):
        return None
    return team_node(team)


QUERIES = {
    "viewer": resolve_viewer,
    "serverInfo": resolve_server_info,
    "entity": resolve_entity,
}
