"""Artifacts of a project in the console: collections by type, a collection's versions with
their aliases, a version's files (download for those allowed), metadata, the run that
logged it and the runs that used it; setting and removing aliases for those allowed (the
artifact services decide)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..api.pagination import paginate
from ..auth import can, requires
from ..errors import NotFound, OutpostError
from ..extensions import db
from ..models import ArtifactFile, ArtifactVersion, Project, RunArtifactUse
from ..services import artifact_aliases, artifact_files, artifact_listing, files, run_lineage
from ..services import artifacts as service
from . import bp
from .data_forms import AliasForm
from .forms import ConfirmForm
from .loaders import load_project
from .run_page import flatten
from .teams import PAGE, cursor_arg, team_flags

BASE = "/teams/<team>/projects/<project>/artifacts"
VERSION = BASE + "/<name>/<version>"


def _page(template: str, project: Project, **context):
    return render_template(
        template, team=project.team, project=project, tab="projects",
        flags=team_flags(project.team), **context,
    )  # fmt: skip


@bp.get(BASE)
@requires("artifact:view", resource=load_project)
def project_artifacts(team: str, project: str, resource: Project):
    page, stats = artifact_listing.collection_page(resource, cursor=cursor_arg(), limit=PAGE)
    by_type: dict[str, list] = {}
    for collection in sorted(page.items, key=lambda c: (c.type, c.name)):
        by_type.setdefault(collection.type, []).append(collection)
    return _page("artifacts/index.html", resource, page=page, by_type=by_type, stats=stats)


@bp.get(BASE + "/<name>")
@requires("artifact:view", resource=load_project)
def artifact_page(team: str, project: str, name: str, resource: Project):
    collection = service.load_collection(resource, name)
    page = paginate(
        service.versions_query(collection), ArtifactVersion.id, cursor=cursor_arg(), limit=PAGE,
        descending=True,
    )  # fmt: skip
    aliases = service.aliases_of([v.id for v in page.items])
    latest = service.latest_numbers([collection.id]).get(collection.id)
    runs = artifact_listing.existing_runs(resource, {v.run_id for v in page.items if v.run_id})
    return _page(
        "artifacts/collection.html", resource, collection=collection, page=page,
        aliases=aliases, latest=latest, runs=runs,
    )  # fmt: skip


def _version(project: Project, name: str, ref: str) -> ArtifactVersion:
    return service.resolve_version(service.load_collection(project, name), ref)


@bp.get(VERSION)
@requires("artifact:view", resource=load_project)
def artifact_version(team: str, project: str, name: str, version: str, resource: Project):
    found = _version(resource, name, version)
    page = paginate(service.files_query(found), ArtifactFile.path, cursor=cursor_arg(), limit=200)
    latest = service.latest_numbers([found.collection_id]).get(found.collection_id)
    produced = artifact_listing.existing_runs(resource, {found.run_id} if found.run_id else set())
    users = paginate(
        run_lineage.users_query(found, current_user), RunArtifactUse.id,
        cursor=request.args.get("used_cursor") or None, limit=PAGE, descending=True,
    )  # fmt: skip
    return _page(
        "artifacts/version.html",
        resource,
        version=found,
        collection=found.collection,
        page=page,
        aliases=service.aliases_of([found.id])[found.id],
        is_latest=latest == found.version,
        run_exists=bool(produced),
        users=users,
        metadata_rows=flatten(found.meta or {}),
        can_download=can(current_user, "artifact:download", resource),
        can_write=can(current_user, "artifact:write", resource),
        alias_form=AliasForm(formdata=None),
        confirm=ConfirmForm(formdata=None),
    )


@bp.get(VERSION + "/files/<path:path>")
@requires("artifact:download", resource=load_project)
def artifact_file(team: str, project: str, name: str, version: str, path: str, resource: Project):
    """Download one file of a committed version: a redirect to a short-lived signed URL."""
    found = service.require_committed(_version(resource, name, version))
    row = artifact_listing.load_version_file(found, path)
    if row.ref:
        raise NotFound(
            f"{path} is a reference to {row.ref}; Outpost holds no bytes for it.",
            code="reference_entry",
        )
    signed = files.download_url(resource.team, artifact_files.object_key(row.digest))
    return redirect(signed["url"])


def _to_version(project: Project, name: str, version: str):
    return redirect(
        url_for("console.artifact_version", team=project.team.slug, project=project.name,
                name=name, version=version)
    )  # fmt: skip


@bp.post(VERSION + "/aliases")
@requires("artifact:write", resource=load_project)
def set_artifact_alias(team: str, project: str, name: str, version: str, resource: Project):
    form = AliasForm()
    if form.validate_on_submit():
        alias = form.alias.data.strip()
        try:
            collection = service.load_collection(resource, name)
            artifact_aliases.set_alias(current_user, collection, alias, version)
            flash(f"{alias} now names {name}:{version}.", "success")
        except OutpostError as error:
            if error.status in (403, 404):
                raise
            db.session.rollback()
            flash(error.message, "error")
    return _to_version(resource, name, version)


@bp.post(VERSION + "/aliases/<alias>/delete")
@requires("artifact:write", resource=load_project)
def delete_artifact_alias(
    team: str, project: str, name: str, version: str, alias: str, resource: Project
):
    if ConfirmForm().validate_on_submit():
        try:
            artifact_aliases.delete_alias(service.load_collection(resource, name), alias)
            flash(f"Alias {alias} removed.", "success")
        except OutpostError as error:
            if error.status in (403, 404):
                raise
            db.session.rollback()
            flash(error.message, "error")
    return _to_version(resource, name, version)
