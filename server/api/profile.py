"""``/viewer/profile``: my profile and settings (default team, beta features, alerts), and my
picture."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import request
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from ..errors import BadRequest
from ..extensions import db
from ..models import User
from ..services import avatars
from ..services import profile as service
from . import api
from .routing import endpoint

# Fields where null means "clear"; for the others null is the same as leaving them out.
_NULLABLE = {"default_team"}


class AlertPreferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_finished: list[str] | None = Field(default=None, description="Channels: email, slack.")
    run_crashed: list[str] | None = Field(default=None, description="Channels: email, slack.")
    slack_webhook_url: str | None = Field(
        default=None,
        max_length=2048,
        description="https URL on an allowed host (hooks.slack.com by default); '' clears.",
    )


class UpdateProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=128)
    institution: str | None = Field(default=None, max_length=128)
    bio: str | None = Field(default=None, max_length=20_000, description="Markdown.")
    location: str | None = Field(default=None, max_length=128)
    website: str | None = Field(default=None, max_length=512, description="http(s) URL or ''.")
    default_team: str | None = Field(
        default=None, description="Slug of one of my teams; null clears."
    )
    hide_teams: bool | None = None
    beta_features: dict[str, bool] | None = None
    alerts: AlertPreferences | None = None


def profile_dict(user: User) -> dict[str, Any]:
    profile = service.profile_of(user.id)
    default = service.default_team_for(user.id)
    webhook = service.slack_webhook_of(user.id)
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "institution": profile.institution,
        "bio": profile.bio,
        "location": profile.location,
        "website": profile.website,
        "avatar_url": avatars.avatar_path(user.username, profile.avatar_key),
        "default_team": default.slug if default else None,
        "hide_teams": profile.hide_teams,
        "public_profile_url": f"/users/{user.username}",
        "beta_features": {
            name: bool((profile.beta_features or {}).get(name)) for name in service.BETA_FEATURES
        },
        "alerts": {
            **{event: service.alert_channels(user.id, event) for event in service.ALERT_EVENTS},
            # The URL is a credential: say whether one is set and where it points, no more.
            "slack_webhook": {
                "configured": webhook is not None,
                "host": urlsplit(webhook).hostname if webhook else None,
            },
        },
    }


def _me() -> User:
    return db.session.get(User, current_user.id)


@endpoint(
    api,
    "/viewer/profile",
    "GET",
    permission="viewer:read",
    summary="My profile, default team, beta features and alert preferences",
)
def get_profile():
    return profile_dict(_me())


@endpoint(
    api,
    "/viewer/profile",
    "PATCH",
    permission="viewer:edit_profile",
    body=UpdateProfile,
    summary="Change my profile and settings (only the fields given)",
)
def update_profile(body: UpdateProfile):
    changes = body.model_dump(exclude_unset=True)
    changes = {k: v for k, v in changes.items() if v is not None or k in _NULLABLE}
    if isinstance(changes.get("alerts"), dict):
        changes["alerts"] = {
            k: v for k, v in changes["alerts"].items() if v is not None or k == "slack_webhook_url"
        }
    service.update_profile(current_user.id, changes)
    return profile_dict(_me())


@endpoint(
    api,
    "/viewer/profile/avatar",
    "POST",
    permission="viewer:edit_profile",
    summary="Upload my picture (multipart field 'file': PNG, JPEG, GIF or WebP, at most 1 MiB)",
    responses={413: "Larger than 1 MiB", 415: "Not a PNG, JPEG, GIF or WebP image"},
)
def upload_avatar():
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest(
            "Send the picture as multipart/form-data in a field named 'file'.",
            code="avatar_missing",
        )
    data = upload.stream.read(avatars.MAX_AVATAR_BYTES + 1)
    user = _me()
    avatars.set_avatar(user, data)
    return {
        "avatar_url": avatars.avatar_path(user.username, service.profile_of(user.id).avatar_key)
    }


@endpoint(
    api,
    "/viewer/profile/avatar",
    "DELETE",
    permission="viewer:edit_profile",
    status=204,
    summary="Remove my picture",
)
def delete_avatar():
    avatars.remove_avatar(_me())
    return "", 204
