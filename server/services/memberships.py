"""Team membership and role resolution."""

from __future__ import annotations


def grants_for(principal, team_id: int) -> frozenset[str]:
    """The permission names ``principal`` holds in the team (empty for a non-member).

    Teams and memberships are introduced with the teams noun; until then nobody is a member.
    """
    return frozenset()
