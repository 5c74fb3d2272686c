"""``/teams/{team}/projects/{project}/artifacts``: collections, versions, files and aliases.

A version is created with its manifest; the response carries pre-signed PUTs for the objects
the team does not hold yet; the client uploads them and calls ``.../commit``. Every route is
checked against the project (``artifact:view``, ``artifact:write``, ``artifact:download``).
"""

from __future__ import annotations

from typing import Any, Literal

from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy.orm.attributes import set_committed_value

from ..models import ArtifactCollection, ArtifactFile, ArtifactVersion, Project
from ..services import artifact_files, files
from ..services import artifact_versions as versions
from ..services import artifacts as service
from . import api
from .pagination import PageQuery, page_response, paginate
from .projects import load_project
from .routing import endpoint
from .serializers import iso

BASE = "/teams/<team>/projects/<project>/artifacts"


class CreateArtifact(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    type: str = Field(min_length=1, max_length=64, description="e.g. dataset, model")
    description: str = Field(default="", max_length=1000)


class UpdateArtifact(BaseModel):
    description: str | None = Field(default=None, max_length=1000)


class ArtifactQuery(PageQuery):
    type: str | None = Field(default=None, max_length=64)


class FileEntry(BaseModel):
    path: str = Field(max_length=512, description="'/'-separated path inside the artifact")
    digest: str = Field(max_length=71, description="sha256 of the content, 64 hex characters")
    size: int = Field(strict=True, description="bytes")


class CreateVersion(BaseModel):
    files: list[FileEntry] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    description: str = Field(default="", max_length=1000)
    run_id: str | None = Field(default=None, max_length=128, description="Run that logged it")


class UpdateVersion(BaseModel):
    metadata: dict[str, Any] | None = Field(default=None, description="Replaces the metadata")
    description: str | None = Field(default=None, max_length=1000)


class CommitVersion(BaseModel):
    aliases: list[str] = Field(default_factory=list, max_length=20)


class VersionQuery(PageQuery):
    state: Literal["pending", "committed"] | None = None
    run_id: str | None = Field(default=None, max_length=128)


def _user(user) -> str | None:
    return user.username if user is not None else None


def collection_dict(collection: ArtifactCollection, latest: int | None) -> dict[str, Any]:
    return {
        "name": collection.name,
        "type": collection.type,
        "description": collection.description,
        "project": collection.project.name,
        "latest_version": None if latest is None else f"v{latest}",
        "created_by": _user(collection.created_by),
        "created_at": iso(collection.created_at),
        "updated_at": iso(collection.updated_at),
    }


def version_dict(version: ArtifactVersion, aliases: list[str], latest: int | None):
    automatic = [service.LATEST] if version.version == latest else []
    return {
        "artifact": version.collection.name,
        "type": version.collection.type,
        "version": version.label,
        "state": version.state,
        "aliases": automatic + aliases,
        "metadata": version.meta,
        "description": version.description,
        "run_id": version.run_id,
        "digest": version.digest,
        "size": version.size,
        "file_count": version.file_count,
        "created_by": _user(version.created_by),
        "created_at": iso(version.created_at),
        "committed_at": iso(version.committed_at),
    }


def _one_version(version: ArtifactVersion) -> dict[str, Any]:
    latest = service.latest_numbers([version.collection_id]).get(version.collection_id)
    return version_dict(version, service.aliases_of([version.id])[version.id], latest)


def file_dict(row: ArtifactFile) -> dict[str, Any]:
    found = {"path": row.path, "digest": row.digest, "size": row.size}
    if row.ref:  # a reference: the client resolves the URI; Outpost holds no bytes for it
        found.update(ref=row.ref, ref_digest=row.ref_digest)
    return found


def _collection(resource: Project, name: str) -> ArtifactCollection:
    return service.load_collection(resource, name)


def _version(resource: Project, name: str, version: str) -> ArtifactVersion:
    return service.resolve_version(_collection(resource, name), version)


# --- collections ---------------------------------------------------------------------------


@endpoint(
    api,
    BASE,
    "GET",
    permission="artifact:view",
    resource=load_project,
    query=ArtifactQuery,
    summary="The project's artifacts",
)
def list_artifacts(team: str, project: str, resource: Project, query: ArtifactQuery):
    stmt = service.collections_query(resource, query.type)
    page = paginate(stmt, ArtifactCollection.id, cursor=query.cursor, limit=query.limit)
    for row in page.items:
        set_committed_value(row, "project", resource)
    latest = service.latest_numbers([c.id for c in page.items])
    return page_response(page, lambda c: collection_dict(c, latest.get(c.id)))


@endpoint(
    api,
    BASE,
    "POST",
    permission="artifact:write",
    resource=load_project,
    body=CreateArtifact,
    status=201,
    summary="Create an artifact (a collection of versions)",
)
def create_artifact(team: str, project: str, resource: Project, body: CreateArtifact):
    collection = service.create_collection(
        current_user, resource, body.name, body.type, body.description
    )
    return collection_dict(collection, None), 201


@endpoint(
    api,
    f"{BASE}/<name>",
    "GET",
    permission="artifact:view",
    resource=load_project,
    summary="One artifact",
)
def get_artifact(team: str, project: str, name: str, resource: Project):
    collection = _collection(resource, name)
    return collection_dict(collection, service.latest_numbers([collection.id]).get(collection.id))


@endpoint(
    api,
    f"{BASE}/<name>",
    "PATCH",
    permission="artifact:write",
    resource=load_project,
    body=UpdateArtifact,
    summary="Edit an artifact's description",
)
def update_artifact(team: str, project: str, name: str, resource: Project, body: UpdateArtifact):
    collection = _collection(resource, name)
    service.update_collection(collection, body.description)
    return collection_dict(collection, service.latest_numbers([collection.id]).get(collection.id))


@endpoint(
    api,
    f"{BASE}/<name>",
    "DELETE",
    permission="artifact:write",
    resource=load_project,
    status=204,
    summary="Delete an artifact with all its versions",
)
def delete_artifact(team: str, project: str, name: str, resource: Project):
    service.delete_collection(_collection(resource, name))
    return "", 204


# --- versions ------------------------------------------------------------------------------


@endpoint(
    api,
    f"{BASE}/<name>/versions",
    "GET",
    permission="artifact:view",
    resource=load_project,
    query=VersionQuery,
    summary="Versions, newest first (pending ones included)",
)
def list_versions(team: str, project: str, name: str, resource: Project, query: VersionQuery):
    collection = _collection(resource, name)
    stmt = service.versions_query(collection, state=query.state, run_id=query.run_id)
    page = paginate(
        stmt, ArtifactVersion.version, cursor=query.cursor, limit=query.limit, descending=True
    )
    aliases = service.aliases_of([v.id for v in page.items])
    latest = service.latest_numbers([collection.id]).get(collection.id)
    for row in page.items:
        set_committed_value(row, "collection", collection)
    return page_response(page, lambda v: version_dict(v, aliases[v.id], latest))


@endpoint(
    api,
    f"{BASE}/<name>/versions",
    "POST",
    permission="artifact:write",
    resource=load_project,
    body=CreateVersion,
    status=201,
    summary="Create a pending version from its manifest; get upload URLs",
)
def create_version(team: str, project: str, name: str, resource: Project, body: CreateVersion):
    version, uploads = versions.create_version(
        current_user,
        _collection(resource, name),
        [(f.path, f.digest, f.size) for f in body.files],
        metadata=body.metadata,
        description=body.description,
        run_id=body.run_id,
    )
    return {**_one_version(version), "uploads": uploads}, 201


@endpoint(
    api,
    f"{BASE}/<name>/versions/<version>",
    "GET",
    permission="artifact:view",
    resource=load_project,
    summary="One version (v3, latest or an alias)",
)
def get_version(team: str, project: str, name: str, version: str, resource: Project):
    return _one_version(_version(resource, name, version))


@endpoint(
    api,
    f"{BASE}/<name>/versions/<version>",
    "PATCH",
    permission="artifact:write",
    resource=load_project,
    body=UpdateVersion,
    summary="Edit a version's metadata or description",
)
def update_version(
    team: str, project: str, name: str, version: str, resource: Project, body: UpdateVersion
):
    changes = body.model_dump(exclude_unset=True)
    return _one_version(versions.update_version(_version(resource, name, version), changes))


@endpoint(
    api,
    f"{BASE}/<name>/versions/<version>",
    "DELETE",
    permission="artifact:write",
    resource=load_project,
    status=204,
    summary="Delete a version (pending or committed)",
)
def delete_version(team: str, project: str, name: str, version: str, resource: Project):
    versions.delete_version(_version(resource, name, version))
    return "", 204


@endpoint(
    api,
    f"{BASE}/<name>/versions/<version>/commit",
    "POST",
    permission="artifact:write",
    resource=load_project,
    body=CommitVersion,
    accepts_raw=True,
    summary="Commit a version once its files are uploaded",
    responses={
        409: "upload_incomplete (a file missing or of another size) or digest_mismatch (a "
        "file's bytes do not have its sha256; they were discarded): the version stays pending"
    },
)
def commit_version(
    team: str, project: str, name: str, version: str, resource: Project, body: CommitVersion
):
    aliases = body.aliases if body is not None else []
    committed = versions.commit_version(current_user, _version(resource, name, version), aliases)
    return _one_version(committed)


@endpoint(
    api,
    f"{BASE}/<name>/versions/<version>/uploads",
    "POST",
    permission="artifact:write",
    resource=load_project,
    summary="Fresh upload URLs for what a pending version still misses",
)
def version_uploads(team: str, project: str, name: str, version: str, resource: Project):
    return {"uploads": versions.pending_uploads(_version(resource, name, version))}


@endpoint(
    api,
    f"{BASE}/<name>/versions/<version>/files",
    "GET",
    permission="artifact:view",
    resource=load_project,
    query=PageQuery,
    summary="The version's manifest: path, digest and size of each file (and URI of a reference)",
)
def list_files(
    team: str, project: str, name: str, version: str, resource: Project, query: PageQuery
):
    found = _version(resource, name, version)
    page = paginate(
        service.files_query(found), ArtifactFile.path, cursor=query.cursor, limit=query.limit
    )
    return page_response(page, file_dict)


def download_page(team, version: ArtifactVersion, query: PageQuery) -> dict[str, Any]:
    """A page of the committed version's files, each with a pre-signed GET."""
    service.require_committed(version)
    page = paginate(
        service.files_query(version), ArtifactFile.path, cursor=query.cursor, limit=query.limit
    )

    def with_url(row: ArtifactFile) -> dict[str, Any]:
        if row.ref:
            return file_dict(row)  # no URL: the client fetches the reference itself
        url = files.download_url(team, artifact_files.object_key(row.digest), filename=row.path)
        return {**file_dict(row), **url}

    return {"version": version.label, "digest": version.digest, **page_response(page, with_url)}


@endpoint(
    api,
    f"{BASE}/<name>/versions/<version>/download",
    "GET",
    permission="artifact:download",
    resource=load_project,
    query=PageQuery,
    summary="Files of a committed version with pre-signed download URLs",
)
def download_version(
    team: str, project: str, name: str, version: str, resource: Project, query: PageQuery
):
    return download_page(resource.team, _version(resource, name, version), query)
