"""User profiles and settings: what a user shows (name, institution, bio, avatar, teams) and
how Outpost treats them (default team, beta features, alert channels).

The profile row is made on the first save; until then every field has its default. The avatar
lives in the instance storage (see :mod:`.avatars`).
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, or_, select

from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import Membership, Team, User, UserProfile
from . import audit

# Previews a user may switch on for themselves; each one changes the console for them only.
BETA_FEATURES: dict[str, str] = {
    "dark_mode": "Dark console theme: the console in light text on a dark background.",
    "compact_tables": "Compact tables: denser rows in every table of the console.",
}
ALERT_EVENTS = {
    "run_finished": "A run of mine finished",
    "run_crashed": "A run of mine crashed",
}
TEXT_LIMITS = {"display_name": 128, "institution": 128, "location": 128, "bio": 20_000}


def profile_of(user_id: int) -> UserProfile:
    """The user's profile row, or an unsaved one holding the defaults."""
    profile = db.session.get(UserProfile, user_id)
    if profile is None:
        profile = UserProfile(
            user_id=user_id,
            institution="",
            bio="",
            location="",
            website="",
            hide_teams=False,
            beta_features={},
            alerts={},
        )
    return profile


def ensure_person(user: User | None) -> None:
    """Raise Forbidden (``service_account_has_no_profile``) unless ``user`` is a person."""
    if user is None or user.is_service_account:
        raise Forbidden(
            "Service accounts have no profile; they are described by their team.",
            code="service_account_has_no_profile",
        )


def editable_profile(user_id: int) -> UserProfile:
    profile = profile_of(user_id)
    if profile not in db.session:
        db.session.add(profile)
    return profile


# --- validation -------------------------------------------------------------------------------


def check_website(url: str) -> str:
    """Empty, or an http(s) URL with a host. Raises ValidationFailed (``invalid_website``)."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or len(url) > 512
        or any(c.isspace() for c in url)
    ):
        raise ValidationFailed(
            "The website must be an http:// or https:// address.", code="invalid_website"
        )
    return url


def _text(name: str, value: Any) -> str:
    value = (value or "").strip() if name != "bio" else (value or "")
    if len(value) > TEXT_LIMITS[name]:
        raise ValidationFailed(
            f"{name.replace('_', ' ').capitalize()} is longer than {TEXT_LIMITS[name]} characters.",
            code="value_too_long",
            field=name,
        )
    if name == "display_name" and not value:
        raise ValidationFailed("The name must not be empty.", code="invalid_display_name")
    return value


def _default_team_id(user_id: int, slug: str | None) -> int | None:
    if not slug:
        return None
    team_id = db.session.scalar(
        select(Team.id)
        .join(Membership, Membership.team_id == Team.id)
        .where(Team.slug == slug.lower(), Team.state == "active", Membership.user_id == user_id)
    )
    if team_id is None:
        raise ValidationFailed(
            f"You are not a member of a team named {slug!r}; the default team must be one of "
            "your teams.",
            code="not_a_member_of_team",
        )
    return team_id


def _beta(current: dict[str, bool], changes: dict[str, Any]) -> dict[str, bool]:
    unknown = sorted(set(changes) - set(BETA_FEATURES))
    if unknown:
        raise ValidationFailed(
            f"Unknown beta feature(s): {', '.join(unknown)}.",
            code="unknown_beta_feature",
            allowed=sorted(BETA_FEATURES),
        )
    if not all(isinstance(v, bool) for v in changes.values()):
        raise ValidationFailed("Beta features are true or false.", code="invalid_beta_feature")
    return {**current, **changes}


def _alerts(profile: UserProfile, changes: dict[str, Any]) -> dict[str, list[str]]:
    from .alerts import CHANNELS, check_webhook_url
    from .secret_box import seal

    if "slack_webhook_url" in changes:
        url = (changes["slack_webhook_url"] or "").strip()
        profile.slack_webhook_sealed = seal({"url": check_webhook_url(url)}) if url else None
    prefs = dict(profile.alerts or {})
    for event in ALERT_EVENTS:
        if event not in changes:
            continue
        channels = changes[event] or []
        bad = [c for c in channels if c not in CHANNELS] if isinstance(channels, list) else []
        if bad or not isinstance(channels, list):
            raise ValidationFailed(
                f"Alert channels are {' and '.join(CHANNELS)}; got {', '.join(map(str, bad))}.",
                code="invalid_alert_channel",
            )
        prefs[event] = [c for c in CHANNELS if c in channels]
    if profile.slack_webhook_sealed is None and any("slack" in v for v in prefs.values()):
        raise ValidationFailed(
            "Set a Slack webhook URL to get alerts in Slack.", code="slack_webhook_required"
        )
    return prefs


def update_profile(user_id: int, changes: dict[str, Any]) -> UserProfile:
    """Apply ``changes`` (any of display_name, institution, bio, location, website,
    default_team, hide_teams, beta_features, alerts) all at once.

    Raises ValidationFailed with a specific code for the first bad field; nothing is saved then.
    """
    user = db.session.get(User, user_id)
    ensure_person(user)
    profile = editable_profile(user_id)
    try:
        if "display_name" in changes:
            user.display_name = _text("display_name", changes["display_name"])
        for name in ("institution", "bio", "location"):
            if name in changes:
                setattr(profile, name, _text(name, changes[name]))
        if "website" in changes:
            profile.website = check_website(changes["website"])
        if "default_team" in changes:
            profile.default_team_id = _default_team_id(user_id, changes["default_team"])
        if "hide_teams" in changes:
            profile.hide_teams = bool(changes["hide_teams"])
        if "beta_features" in changes:
            profile.beta_features = _beta(profile.beta_features or {}, changes["beta_features"])
        if "alerts" in changes:
            profile.alerts = _alerts(profile, changes["alerts"] or {})
    except ValidationFailed:
        db.session.rollback()
        raise
    audit.record("user:profile_update", target=user, details={"fields": sorted(changes)})
    db.session.commit()
    return profile


# --- reading ----------------------------------------------------------------------------------


def alert_channels(user_id: int, event: str) -> list[str]:
    return list((profile_of(user_id).alerts or {}).get(event, []))


def slack_webhook_of(user_id: int) -> str | None:
    """The user's Slack webhook URL (decrypted), or None."""
    from ..errors import OutpostError
    from .secret_box import unseal

    sealed = profile_of(user_id).slack_webhook_sealed
    if not sealed:
        return None
    try:
        return unseal(sealed).get("url")
    except OutpostError:
        return None


def enabled_beta_features(user_id: int) -> set[str]:
    row = db.session.execute(
        select(UserProfile.beta_features).where(UserProfile.user_id == user_id)
    ).first()
    return {name for name, on in ((row and row[0]) or {}).items() if on and name in BETA_FEATURES}


def my_teams_query(user_id: int):
    """The user's active teams (paginate by ``Team.id``)."""
    return (
        select(Team)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user_id, Team.state == "active")
    )


def my_teams(user_id: int, limit: int = 200) -> list[Team]:
    return list(db.session.scalars(my_teams_query(user_id).order_by(Team.slug).limit(limit)))


def default_team_for(user_id: int) -> Team | None:
    """The team a client that names no team works in: the chosen default while the user is
    still a member, else their only team, else None. One query, whatever the number of teams;
    the rule is :func:`default_team_expression`'s."""
    return db.session.scalar(select(Team).where(Team.slug == default_team_expression(user_id)))


def default_team_expression(user_id):
    """The slug of the team a client that names none works in, for the user whose id is
    ``user_id`` (a column, a bound parameter or a value), as one scalar SQL expression: the
    chosen default while the user is an active member of it, else the only active team they
    belong to, else NULL. The API-key lookup adds it to its own query for ``GET /viewer``, so
    the answer costs no second round trip."""
    teams, members, profiles = Team.__table__, Membership.__table__, UserProfile.__table__
    chosen = (
        select(teams.c.slug)
        .join_from(teams, members, members.c.team_id == teams.c.id)
        .join(profiles, profiles.c.user_id == members.c.user_id)
        .where(
            members.c.user_id == user_id,
            teams.c.state == "active",
            teams.c.id == profiles.c.default_team_id,
        )
        .scalar_subquery()
    )
    only = (  # no GROUP BY: one row when the user has exactly one active team, else none
        select(func.min(teams.c.slug))
        .join_from(teams, members, members.c.team_id == teams.c.id)
        .where(members.c.user_id == user_id, teams.c.state == "active")
        .having(func.count() == 1)
        .scalar_subquery()
    )
    return func.coalesce(chosen, only)


@functools.cache
def _default_team_statement():
    return select(default_team_expression(bindparam("user_id")))


def default_team_slug(user_id: int) -> str | None:
    """The slug of :func:`default_team_for`'s team, read without building a query or
    loading a model."""
    connection = db.session.connection()  # Core on the session's connection: no ORM work
    return connection.execute(_default_team_statement(), {"user_id": user_id}).scalar()


def load_public_user(username: str) -> User:
    """An active person by username; NotFound (``user_not_found``) for anyone else."""
    user = db.session.scalar(select(User).where(User.username == (username or "").lower()))
    if user is None or not user.is_active or user.is_service_account:
        raise NotFound(f"No user named {username!r}.", code="user_not_found")
    return user


def teams_shown_on_profile(viewer, user: User) -> list[Team]:
    """The teams listed on ``user``'s public page for ``viewer``: none when the user hides
    them, otherwise those with a public profile or that the viewer belongs to."""
    if profile_of(user.id).hide_teams and viewer.id != user.id:
        return []
    stmt = my_teams_query(user.id)
    if not viewer.system_admin and viewer.id != user.id:
        viewer_teams = select(Membership.team_id).where(Membership.user_id == viewer.id)
        stmt = stmt.where(or_(Team.profile_visibility == "public", Team.id.in_(viewer_teams)))
    return list(db.session.scalars(stmt.order_by(Team.slug).limit(200)))
