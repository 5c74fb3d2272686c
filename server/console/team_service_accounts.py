"""A team's service accounts (enterprise): create (the key is shown once), list, delete."""

from __future__ import annotations

from flask import flash, redirect, url_for

from ..api.pagination import paginate
from ..auth import requires
from ..errors import OutpostError
from ..extensions import db
from ..models import Team, User
from ..services import service_accounts as service
from ..services.licensing import current_status
from . import bp, reveal
from .forms import ConfirmForm, ServiceAccountForm
from .teams import PAGE, cursor_arg, load_team, render_team_page


def short_name(team: Team, account: User) -> str:
    return account.username.removeprefix(f"{team.slug}-")


def _page(team: Team, *, form=None, new_key=None, new_account=None, status=200):
    page = paginate(
        service.service_accounts_query(team).where(User.state == "active"),
        User.id,
        cursor=cursor_arg(),
        limit=PAGE,
    )
    return render_team_page(
        "teams/service_accounts.html",
        team,
        "service_accounts",
        page=page,
        form=form or ServiceAccountForm(formdata=None),
        confirm=ConfirmForm(),
        licensed=current_status().allows_management("service_accounts"),
        new_key=new_key,
        new_account=new_account,
        short_name=lambda account: short_name(team, account),
    ), status


@bp.get("/teams/<team>/service-accounts")
@requires("service_account:manage", resource=load_team)
def team_service_accounts(team: str, resource: Team):
    shown = reveal.take(f"service_account_key:{resource.slug}") or {}
    return _page(resource, new_key=shown.get("key"), new_account=shown.get("account"))


@bp.post("/teams/<team>/service-accounts")
@requires("service_account:manage", resource=load_team)
def create_team_service_account(team: str, resource: Team):
    form = ServiceAccountForm()
    if not form.validate_on_submit():
        flash("Give the service account a short name.", "error")
        return _page(resource, form=form, status=422)
    try:
        account, key = service.create_service_account(
            resource, form.name.data.strip(), (form.description.data or "").strip()
        )
    except OutpostError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _page(resource, form=form, status=error.status)
    reveal.stash(f"service_account_key:{resource.slug}", key=key, account=account.username)
    return redirect(url_for("console.team_service_accounts", team=resource.slug))


@bp.post("/teams/<team>/service-accounts/<name>/delete")
@requires("service_account:manage", resource=load_team)
def delete_team_service_account(team: str, name: str, resource: Team):
    if ConfirmForm().validate_on_submit():
        try:
            service.delete_service_account(service.load_service_account(resource, name))
            flash(f"Service account {name} deleted; its keys stopped working.", "success")
        except OutpostError as error:
            flash(error.message, "error")
    return redirect(url_for("console.team_service_accounts", team=resource.slug))
