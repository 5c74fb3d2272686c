"""``/users``: every person on the instance, for system admins: list, search, invite, change
state, system-admin flag and seat type, CSV export."""

from __future__ import annotations

from typing import Any, Literal

from flask import Response, stream_with_context
from flask_login import current_user
from pydantic import BaseModel, Field

from ..models import User
from ..services import console_sessions, user_deletion, user_directory, user_invites
from ..services import users as service
from . import api
from .pagination import PageQuery, page_response, paginate
from .routing import endpoint
from .serializers import iso, user_dict


class UserFilterQuery(BaseModel):
    q: str | None = Field(default=None, max_length=254, description="Search name or e-mail.")
    state: Literal["invited", "active", "deactivated"] | None = None
    seat_type: Literal["full", "viewer"] | None = None
    system_admin: bool | None = None

    def filters(self) -> user_directory.UserFilters:
        return user_directory.UserFilters(self.q, self.state, self.seat_type, self.system_admin)


class UserListQuery(UserFilterQuery, PageQuery):
    pass


class InviteUser(BaseModel):
    email: str = Field(max_length=254)
    seat_type: Literal["full", "viewer"] = "full"
    system_admin: bool = False


class DeleteUser(BaseModel):
    confirm: str = Field(max_length=64, description="The username, typed again.")


class UpdateUser(BaseModel):
    state: Literal["active", "deactivated"] | None = None
    system_admin: bool | None = None
    seat_type: Literal["full", "viewer"] | None = None


def admin_user_dict(user: User, teams: list[dict[str, str]]) -> dict[str, Any]:
    return {**user_dict(user), "teams": teams}


def _one(user: User) -> dict[str, Any]:
    return admin_user_dict(user, user_directory.teams_by_user([user.id]).get(user.id, []))


def invite_body(result: user_invites.InviteResult) -> dict[str, Any]:
    return {
        "user": _one(result.user),
        "invite_url": result.link,
        "expires_at": iso(result.expires_at),
        "email_sent": result.email_sent,
        "email_error": result.email_error,
    }


@endpoint(
    api,
    "/users",
    "GET",
    permission="system:users",
    query=UserListQuery,
    summary="Users with their teams; search with q, filter by state, seat_type, system_admin",
)
def list_users(query: UserListQuery):
    stmt = user_directory.users_query(query.filters())
    page = paginate(stmt, User.id, cursor=query.cursor, limit=query.limit)
    teams = user_directory.teams_by_user([user.id for user in page.items])
    return page_response(page, lambda user: admin_user_dict(user, teams.get(user.id, [])))


@endpoint(
    api,
    "/users",
    "POST",
    permission="system:users",
    body=InviteUser,
    status=201,
    summary="Invite a user by e-mail: the one-time invite link is in this response only",
)
def invite_user(body: InviteUser):
    result = user_invites.invite_user(
        body.email,
        seat_type=body.seat_type,
        system_admin=body.system_admin,
        invited_by=current_user,
    )
    return invite_body(result), 201


@endpoint(
    api,
    "/users/export.csv",
    "GET",
    permission="system:users",
    query=UserFilterQuery,
    summary="Every matching user as CSV (same filters as the list), streamed",
)
def export_users(query: UserFilterQuery):
    lines = user_directory.export_csv(query.filters())
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="outpost-users.csv"'},
    )


@endpoint(api, "/users/<username>", "GET", permission="system:users", summary="One user")
def get_user(username: str):
    return _one(service.get_person(username))


@endpoint(
    api,
    "/users/<username>",
    "PATCH",
    permission="system:users",
    body=UpdateUser,
    summary="Deactivate/reactivate, promote/demote system admin, change seat type",
)
def update_user(username: str, body: UpdateUser):
    user = service.update_user(
        service.get_person(username),
        state=body.state,
        system_admin=body.system_admin,
        seat_type=body.seat_type,
    )
    return _one(user)


@endpoint(
    api,
    "/users/<username>",
    "DELETE",
    permission="system:users",
    body=DeleteUser,
    responses={
        409: "Not deactivated, yourself, the last system admin, or a team's only admin",
        422: "confirm is not the username",
    },
    summary="Delete a deactivated user for good: their runs, reports and artifacts stay "
    "(creator shown as deleted user); keys, sessions, memberships, pending invitations they "
    "sent go",
)
def delete_user(username: str, body: DeleteUser):
    impact = user_deletion.delete_user(current_user, service.get_person(username), body.confirm)
    return {"deleted": username, "kept": _kept(impact), "removed": _removed(impact)}


def _kept(impact: user_deletion.DeletionImpact) -> dict[str, int]:
    names = ("runs", "sweeps", "reports", "comments", "projects", "artifact_versions", "models")
    return {name: getattr(impact, name) for name in names}


def _removed(impact: user_deletion.DeletionImpact) -> dict[str, Any]:
    names = ("api_keys", "sessions", "invitations")
    return {**{name: getattr(impact, name) for name in names}, "teams": impact.teams}


@endpoint(
    api,
    "/users/<username>/invitation",
    "POST",
    permission="system:users",
    status=201,
    summary="A new one-time invite link for a user who has not accepted yet",
)
def reissue_invitation(username: str):
    result = user_invites.reissue_invite(service.get_person(username), invited_by=current_user)
    return invite_body(result), 201


@endpoint(
    api,
    "/users/<username>/sessions",
    "DELETE",
    permission="system:users",
    summary="Sign a user out everywhere: every console session of theirs ends at once",
)
def end_user_sessions(username: str):
    return {"sessions_ended": console_sessions.end_all(service.get_person(username))}
