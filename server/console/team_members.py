"""Team members and the model-registry admins: list with roles, invite by e-mail, change roles,
registry-admin flag, remove (with confirmation), and the single-admin warning."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..api.pagination import paginate
from ..auth import can, requires
from ..errors import OutpostError
from ..extensions import db
from ..models import CustomRole, Membership, Team, TeamInvitation, User
from ..services import invitations, memberships
from ..services.licensing import current_status
from . import bp, reveal
from .forms import ConfirmForm, InviteForm, RoleForm
from .teams import PAGE, cursor_arg, load_team, render_team_page

ROLE_LABELS = {"admin": "Admin", "member": "Member", "view-only": "View-only"}


def role_choices() -> list[SelectChoice]:
    """Roles a team admin may give now: admin and member always; view-only and custom roles
    while the license allows managing them."""
    status = current_status()
    choices = [SelectChoice("admin", "Admin"), SelectChoice("member", "Member")]
    if status.allows_management("view_only"):
        choices.append(SelectChoice("view-only", "View-only"))
    if status.allows_management("custom_roles"):
        names = db.session.scalars(select(CustomRole.name).order_by(CustomRole.name).limit(100))
        choices += [SelectChoice(name, f"{name} (custom)") for name in names]
    return choices


def _role_form(membership: Membership, choices: list[SelectChoice]) -> RoleForm:
    current = memberships.role_name(membership)
    form = RoleForm(formdata=None, role=current)
    form.role.choices = list(choices)
    if current not in {c.value for c in choices}:  # a role no longer offered still shows
        form.role.choices.append(
            SelectChoice(current, ROLE_LABELS.get(current, f"{current} (custom)"))
        )
    return form


def _open_invitations(team: Team):
    """The first page (or the ``invitations_cursor`` page) of the team's open invitations, for
    those who may manage members; nobody else gets them."""
    if not can(current_user, "team:manage_members", team):
        return None
    return paginate(
        invitations.open_invitations_query(team),
        TeamInvitation.id,
        cursor=request.args.get("invitations_cursor") or None,
        limit=PAGE,
    )


def _members_page(team: Team, *, invite_form=None, invite_link=None, status=200):
    page = paginate(memberships.members_query(team), Membership.id, cursor=cursor_arg(), limit=PAGE)
    choices = role_choices()
    invite_form = invite_form or InviteForm(formdata=None, role="member")
    invite_form.role.choices = choices
    admins = db.session.scalars(
        select(User.username)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team.id, Membership.role == "admin")
        .limit(2)
    ).all()
    return render_team_page(
        "teams/members.html",
        team,
        "members",
        page=page,
        role_forms={m.id: _role_form(m, choices) for m in page.items},
        invite_form=invite_form,
        invite_link=invite_link,
        confirm=ConfirmForm(),
        admins=admins,
        role_name=memberships.role_name,
        pending=_open_invitations(team),
        invitation_state=invitations.invitation_state,
    ), status


@bp.get("/teams/<team>/members")
@requires("team:view", resource=load_team)
def team_members(team: str, resource: Team):
    shown = reveal.take(f"team_invite:{resource.slug}")
    return _members_page(resource, invite_link=shown["link"] if shown else None)


def _show_link(team: Team, link: str):
    """Keep the one-time link for the next view of the members page, and redirect to it."""
    reveal.stash(f"team_invite:{team.slug}", link=link)
    return redirect(url_for("console.team_members", team=team.slug))


@bp.post("/teams/<team>/members")
@requires("team:manage_members", resource=load_team)
def invite_member(team: str, resource: Team):
    form = InviteForm()
    form.role.choices = role_choices()
    if not form.validate_on_submit():
        flash("Give an e-mail address and a role.", "error")
        return _members_page(resource, invite_form=form, status=422)
    try:
        result = invitations.invite(
            resource,
            email=form.email.data,
            username=None,
            role_name=form.role.data,
            invited_by=current_user,
        )
    except OutpostError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _members_page(resource, invite_form=form, status=error.status)
    if result.membership is not None:
        flash(f"{result.membership.user.username} joined {resource.slug}.", "success")
        return redirect(url_for("console.team_members", team=resource.slug))
    if result.email_sent:
        flash(f"{result.invitation.email} was e-mailed an invitation link.", "success")
    else:  # not green: the e-mail did not go out, the admin must pass the link on
        flash(
            f"{result.invitation.email} has no account yet and the invitation e-mail was not "
            f"sent, so send them the link below. {result.email_error or ''}",
            "warning",
        )
    return _show_link(resource, result.link)


def _member_action(team: Team, username: str, action) -> None:
    try:
        membership = memberships.load_membership(team, username)
        message = action(membership)
        flash(message, "success")
    except OutpostError as error:
        db.session.rollback()
        flash(error.message, "error")


@bp.post("/teams/<team>/members/<username>/role")
@requires("team:manage_members", resource=load_team)
def change_member_role(team: str, username: str, resource: Team):
    form = RoleForm()
    form.role.choices = role_choices()
    if not form.validate_on_submit():
        flash("Choose one of the roles offered.", "error")
    else:

        def change(membership: Membership) -> str:
            memberships.update_member(
                membership,
                role_name_=form.role.data,
                registry_admin=None,
                actor=current_user._get_current_object(),
            )
            return f"{username} is now {form.role.data}."

        _member_action(resource, username, change)
    return redirect(url_for("console.team_members", team=resource.slug))


@bp.post("/teams/<team>/members/<username>/remove")
@requires("team:manage_members", resource=load_team)
def remove_member(team: str, username: str, resource: Team):
    if ConfirmForm().validate_on_submit():

        def remove(membership: Membership) -> str:
            memberships.remove_member(membership, actor=current_user._get_current_object())
            return f"{username} was removed from {resource.slug}. Their runs and reports stay."

        _member_action(resource, username, remove)
    return redirect(url_for("console.team_members", team=resource.slug))


@bp.post("/teams/<team>/invitations/<int:invitation_id>/revoke")
@requires("team:manage_members", resource=load_team)
def revoke_invitation(team: str, invitation_id: int, resource: Team):
    if ConfirmForm().validate_on_submit():
        try:
            invitation = invitations.load_open_invitation(resource, invitation_id)
            email = invitation.email
            invitations.revoke(invitation)
            flash(f"The invitation to {email} was revoked: its link no longer works.", "success")
        except OutpostError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("console.team_members", team=resource.slug))


@bp.post("/teams/<team>/invitations/<int:invitation_id>/resend")
@requires("team:manage_members", resource=load_team)
def resend_invitation(team: str, invitation_id: int, resource: Team):
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("console.team_members", team=resource.slug))
    try:
        invitation = invitations.load_open_invitation(resource, invitation_id)
        result = invitations.resend(resource, invitation)
    except OutpostError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("console.team_members", team=resource.slug))
    email = result.invitation.email
    if result.email_sent:
        flash(f"A new invitation was e-mailed to {email}; the old link no longer works.", "success")
        return redirect(url_for("console.team_members", team=resource.slug))
    flash(f"A new link for {email}: the old one no longer works. {result.email_error}", "warning")
    return _show_link(resource, result.link)
