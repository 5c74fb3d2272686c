"""A team's model-registry settings: registry admins (the per-team membership flag) and the
protected aliases only registry admins may set or remove."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..api.pagination import paginate
from ..auth import requires
from ..errors import OutpostError
from ..extensions import db
from ..models import Membership, ProtectedAlias, Team, User
from ..services import registry_admins
from . import bp
from .forms import ConfirmForm, ProtectedAliasForm, RegistryAdminForm
from .teams import PAGE, cursor_arg, load_team, render_team_page


def set_registry_admin(team: Team, username: str, on: bool) -> None:
    """Flip the flag and say what happened (or why not) in a flash message."""
    try:
        registry_admins.set_registry_admin(team, username, on)
        flash(f"{username} {'is now' if on else 'is no longer'} a registry admin.", "success")
    except OutpostError as error:
        db.session.rollback()
        flash(error.message, "error")


@bp.post("/teams/<team>/members/<username>/registry-admin")
@requires("registry:manage_admins", resource=load_team)
def toggle_registry_admin(team: str, username: str, resource: Team):
    if ConfirmForm().validate_on_submit():
        set_registry_admin(resource, username, request.form.get("registry_admin") == "on")
    return redirect(url_for("console.team_members", team=resource.slug))


def _admin_rows(team: Team):
    return db.session.execute(
        select(User.username, User.display_name, Membership.role, Membership.registry_admin)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.team_id == team.id,
            (Membership.registry_admin.is_(True)) | (Membership.role == "admin"),
        )
        .order_by(User.username)
        .limit(200)
    ).all()


def _candidates(team: Team) -> list[SelectChoice]:
    names = db.session.scalars(
        select(User.username)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.team_id == team.id,
            Membership.registry_admin.is_(False),
            Membership.role != "admin",
            User.kind == "user",
        )
        .order_by(User.username)
        .limit(200)
    ).all()
    return [SelectChoice(name) for name in names]


@bp.get("/teams/<team>/registry")
@requires("registry:view", resource=load_team)
def team_registry(team: str, resource: Team):
    form = RegistryAdminForm()
    form.username.choices = _candidates(resource)
    page = paginate(
        registry_admins.protected_query(resource),
        ProtectedAlias.id,
        cursor=cursor_arg(),
        limit=PAGE,
    )
    return render_team_page(
        "teams/registry.html",
        resource,
        "registry",
        rows=_admin_rows(resource),
        form=form,
        alias_form=ProtectedAliasForm(formdata=None),
        page=page,
        confirm=ConfirmForm(),
    )


@bp.post("/teams/<team>/registry/admins")
@requires("registry:manage_admins", resource=load_team)
def add_registry_admin(team: str, resource: Team):
    form = RegistryAdminForm()
    if form.validate_on_submit() and form.username.data:
        set_registry_admin(resource, form.username.data, True)
    return redirect(url_for("console.team_registry", team=resource.slug))


@bp.post("/teams/<team>/registry/admins/<username>/remove")
@requires("registry:manage_admins", resource=load_team)
def remove_registry_admin(team: str, username: str, resource: Team):
    if ConfirmForm().validate_on_submit():
        set_registry_admin(resource, username, False)
    return redirect(url_for("console.team_registry", team=resource.slug))


@bp.post("/teams/<team>/registry/protected-aliases")
@requires("registry:manage_protected_aliases", resource=load_team)
def add_protected_alias(team: str, resource: Team):
    form = ProtectedAliasForm()
    if form.validate_on_submit():
        alias = form.alias.data.strip()
        try:
            registry_admins.add_protected(current_user, resource, alias)
            flash(
                f"{alias} is now protected: only registry admins may set or remove it.", "success"
            )
        except OutpostError as error:
            db.session.rollback()
            flash(error.message, "error")
    else:
        flash("Give the alias to protect.", "error")
    return redirect(url_for("console.team_registry", team=resource.slug))


@bp.post("/teams/<team>/registry/protected-aliases/<alias>/remove")
@requires("registry:manage_protected_aliases", resource=load_team)
def remove_protected_alias(team: str, alias: str, resource: Team):
    if ConfirmForm().validate_on_submit():
        try:
            registry_admins.remove_protected(resource, alias)
            flash(f"{alias} is no longer protected.", "success")
        except OutpostError as error:
            flash(error.message, "error")
    return redirect(url_for("console.team_registry", team=resource.slug))
