"""The team's model registry in the console: registered models, their linked versions with
aliases (protected ones marked) and the registry admins; linking and unlinking a version,
setting and removing an alias for those allowed — a protected alias stays for registry
admins, as the registry service decides through ``authorize``. Removals ask first."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from ..api.pagination import paginate
from ..auth import can, requires
from ..errors import OutpostError
from ..extensions import db
from ..models import ModelVersion, RegisteredModel, Team
from ..services import registry as service
from . import bp
from .data_forms import LinkModelVersionForm, ModelAliasForm
from .forms import ConfirmForm
from .team_registry import _admin_rows
from .teams import PAGE, cursor_arg, load_team, render_team_page


@bp.get("/teams/<team>/models")
@requires("registry:view", resource=load_team)
def team_models(team: str, resource: Team):
    page = paginate(
        service.models_query(resource), RegisteredModel.id, cursor=cursor_arg(), limit=PAGE
    )
    summaries = service.model_summaries([m.id for m in page.items])
    return render_team_page("models/index.html", resource, "models", page=page, summaries=summaries)


@bp.get("/teams/<team>/models/<model>")
@requires("registry:view", resource=load_team)
def model_page(team: str, model: str, resource: Team):
    found = service.load_model(resource, model)
    page = paginate(
        service.model_versions_query(found), ModelVersion.id, cursor=cursor_arg(), limit=PAGE,
        descending=True,
    )  # fmt: skip
    aliases = service.model_aliases_of([v.id for v in page.items])
    protected = service.protected_set(resource.id, [a for names in aliases.values() for a in names])
    return render_team_page(
        "models/show.html",
        resource,
        "models",
        model=found,
        page=page,
        aliases=aliases,
        protected=protected,
        admins=_admin_rows(resource),
        can_write=can(current_user, "registry:write", found),
        can_protected=can(current_user, "registry:manage_protected_aliases", found),
        link_form=LinkModelVersionForm(formdata=None),
        alias_form=ModelAliasForm(formdata=None),
        confirm=ConfirmForm(formdata=None),
    )


def _to_model(team: Team, model: str):
    return redirect(url_for("console.model_page", team=team.slug, model=model))


def _attempt(action, success: str) -> None:
    try:
        action()
    except OutpostError as error:
        if error.status == 403:
            raise
        db.session.rollback()
        flash(error.message, "error")
        return
    flash(success, "success")


@bp.post("/teams/<team>/models/<model>/versions")
@requires("registry:write", resource=load_team)
def link_model_version(team: str, model: str, resource: Team):
    form = LinkModelVersionForm()
    if form.validate_on_submit():
        found = service.load_model(resource, model)
        _attempt(
            lambda: service.link_version(
                current_user, resource, found, project=form.project.data.strip(),
                artifact=form.artifact.data.strip(), version=form.version.data.strip(),
            ),
            f"Linked {form.artifact.data}:{form.version.data} to {model}.",
        )  # fmt: skip
    else:
        flash("Name the project, artifact and version to link.", "error")
    return _to_model(resource, model)


@bp.post("/teams/<team>/models/<model>/aliases")
@requires("registry:write", resource=load_team)
def set_model_alias(team: str, model: str, resource: Team):
    form = ModelAliasForm()
    if form.validate_on_submit():
        found = service.load_model(resource, model)
        alias, version = form.alias.data.strip(), form.version.data.strip()
        _attempt(
            lambda: service.set_alias(current_user, found, alias, version),
            f"{alias} now names {model}:{version}.",
        )
    else:
        flash("Give the alias and the version.", "error")
    return _to_model(resource, model)


@bp.post("/teams/<team>/models/<model>/versions/<version>/unlink")
@requires("registry:write", resource=load_team)
def unlink_model_version(team: str, model: str, version: str, resource: Team):
    """Unlink a model version (the artifact version stays), as ``DELETE .../versions/{v}``."""
    if ConfirmForm().validate_on_submit():
        found = service.load_model(resource, model)
        _attempt(
            lambda: service.unlink_version(
                current_user, service.resolve_model_version(found, version)
            ),
            f"Unlinked {model}:{version}; the artifact version stays.",
        )
    return _to_model(resource, model)


@bp.post("/teams/<team>/models/<model>/aliases/<alias>/delete")
@requires("registry:write", resource=load_team)
def delete_model_alias(team: str, model: str, alias: str, resource: Team):
    """Remove an alias (a protected one: registry admins), as ``DELETE .../aliases/{a}``."""
    if ConfirmForm().validate_on_submit():
        found = service.load_model(resource, model)
        _attempt(
            lambda: service.delete_alias(current_user, found, alias),
            f"Alias {alias} removed from {model}.",
        )
    return _to_model(resource, model)
