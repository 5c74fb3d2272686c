"""Artifacts over the W&B protocol: log (createArtifact → createArtifactManifest →
createArtifactFiles → uploads → commitArtifact), use and download.

W&B names files by base64 MD5 and sends the manifest as an uploaded object, after the files,
so an Outpost version is made only at ``commitArtifact``, from that manifest, through the same
create and commit services as the REST API (which check every object and its MD5 first).
Until then the artifact is a signed handle that carries what ``createArtifact`` was told.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..errors import Conflict, NotFound, OutpostError, ValidationFailed
from ..models import ArtifactCollection, ArtifactVersion, Project
from ..services import artifact_files, artifact_versions, artifacts, files, run_lineage
from ..services.teams import load_team
from . import locate
from .runs import connection
from .shapes import iso, load_json

PENDING, COMMITTED = "PendingArtifact", "Artifact"
STAGING = "artifacts/wandb-staging/"
CLIENT_MANIFESTS = "artifacts/wandb-manifests/"
# What a pending artifact became: the SDK's ``log_artifact(...).wait()`` asks for the
# artifact by the id ``createArtifact`` gave it, after the commit.
COMMITTED_AS = "artifacts/wandb-committed/"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _unb64(value: Any) -> tuple[str, str]:
    try:
        kind, _, rest = base64.b64decode(str(value), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(f"{value!r} is not an artifact id.", code="invalid_id") from None
    return kind, rest


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="wandb-pending-artifact")


def _pending(artifact_id: Any) -> dict[str, Any]:
    kind, token = _unb64(artifact_id)
    try:
        if kind == PENDING:
            return _signer().loads(token)
    except BadSignature:
        pass
    raise ValidationFailed(f"{artifact_id!r} is not a pending artifact.", code="invalid_id")


def _committed_id(collection: ArtifactCollection, version: ArtifactVersion) -> str:
    project = collection.project
    return _b64(
        f"{COMMITTED}:{project.team.slug}/{project.name}/{collection.name}:v{version.version}"
    )


def _writable(state: dict[str, Any]) -> tuple[Project, ArtifactCollection]:
    project = locate.project_named(state["t"], state["p"], "artifact:write")
    return project, artifacts.load_collection(project, state["c"])


# --- logging -------------------------------------------------------------------------------


def create_artifact(input: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
    data = input or {}
    project = locate.project_named(
        data.get("entityName"), data.get("projectName"), "artifact:write"
    )
    name, type_ = data.get("artifactCollectionName"), data.get("artifactTypeName")
    try:
        collection = artifacts.load_collection(project, str(name))
    except NotFound:
        collection = artifacts.create_collection(locate.principal(), project, str(name), type_)
    if collection.type != type_:
        raise Conflict(
            f"{name} is an artifact of type {collection.type!r}, not {type_!r}.",
            code="artifact_type_mismatch",
        )
    aliases = [a.get("alias") for a in data.get("aliases") or [] if isinstance(a, dict)]
    metadata = load_json(data.get("metadata"), "metadata")
    state = {
        "t": project.team.slug,
        "p": project.name,
        "c": collection.name,
        "r": data.get("runName"),
        "a": [a for a in aliases if a and a != artifacts.LATEST],
        "d": data.get("description") or "",
        "m": metadata if isinstance(metadata, dict) else {},
        "u": uuid.uuid4().hex,
    }
    pending_id = _b64(f"{PENDING}:{_signer().dumps(state)}")
    return {
        "artifact": {
            "__typename": "Artifact",
            "id": pending_id,
            "state": "PENDING",
            "artifactSequence": {"__typename": "ArtifactSequence", "latestArtifact": None},
        }
    }


def _headers(upload: dict[str, Any]) -> list[str]:
    return [f"{name}:{value}" for name, value in upload["headers"].items()]


def create_artifact_manifest(input: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
    state = _pending((input or {}).get("artifactID"))
    project, _collection = _writable(state)
    upload = files.upload_url(project.team, STAGING + state["u"] + ".json")
    manifest_id = _b64(f"ArtifactManifest:{state['u']}")
    return {
        "artifactManifest": {
            "id": manifest_id,
            "file": {
                "id": manifest_id,
                "uploadUrl": upload["url"],
                "uploadHeaders": _headers(upload),
            },
        }
    }


def _md5_hex(value: Any) -> str:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 16:
        raise ValidationFailed(f"{value!r} is not a base64 MD5.", code="invalid_digest")
    return raw.hex()


def _staging(state: dict[str, Any]) -> str:
    """Where this pending artifact's files are uploaded until commit checks and moves them."""
    return f"wandb-{state['u']}"


def _entry(path: str, entry: dict[str, Any]) -> tuple:
    """One manifest entry as Outpost takes it: an uploaded file checked by its MD5, or a
    reference (``ref``) that the client resolves itself and Outpost never fetches."""
    if entry.get("ref") is not None:
        return (path, entry.get("digest"), int(entry.get("size") or 0), entry["ref"])
    return (path, "md5:" + _md5_hex(entry["digest"]), int(entry["size"]))


def _entries(manifest: bytes) -> list[tuple]:
    try:
        contents = json.loads(manifest)["contents"]
        return [_entry(path, entry) for path, entry in contents.items()]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValidationFailed(
            "The manifest is not a W&B artifact manifest with file digests and sizes.",
            code="invalid_manifest",
        ) from None


def commit_artifact(input: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
    state = _pending((input or {}).get("artifactID"))
    project, collection = _writable(state)
    staged = STAGING + state["u"] + ".json"
    manifest = artifact_files.read_object(project.team, staged)
    if manifest is None:
        raise Conflict("Upload the artifact manifest before committing.", code="upload_incomplete")
    version, _uploads = artifact_versions.create_version(
        locate.principal(),
        collection,
        _entries(manifest),
        metadata=state["m"],
        description=str(state["d"])[:1000],
        run_id=state["r"],
        # the SDK uploads files of 2 GiB and more in parts (or, on GCS, in one PUT)
        max_file_bytes=artifact_files.MAX_MULTIPART_FILE_BYTES,
    )
    try:
        version = artifact_versions.commit_version(
            locate.principal(), version, state["a"], staging=_staging(state)
        )
    except OutpostError:
        # W&B clients commit once: a refused commit leaves no pending version behind.
        artifact_versions.delete_version(version)
        raise
    artifact_files.write_object(project.team, CLIENT_MANIFESTS + f"{version.id}.json", manifest)
    label = f"{collection.name}:v{version.version}"
    artifact_files.write_object(project.team, COMMITTED_AS + state["u"], label.encode())
    files.delete(project.team, staged)
    return {"artifact": artifact_node(collection, version)}


def use_artifact(input: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
    """Record that a run used a committed artifact, through the same services as REST
    (``run:log`` on the run, ``artifact:view`` where the artifact lives); answer the artifact."""
    data = input or {}
    run = locate.run_named(
        data.get("entityName"), data.get("projectName"), str(data.get("runName")), "run:log"
    )
    kind, ref = _unb64(data.get("artifactID"))
    if kind != COMMITTED:
        raise ValidationFailed(
            f"{data.get('artifactID')!r} is not a committed artifact.", code="invalid_id"
        )
    path, _, version_ref = ref.rpartition(":")
    team, project_name, name = (path.split("/", 2) + ["", "", ""])[:3]
    version = run_lineage.source_version(
        locate.principal(), run, artifact=name, version=version_ref, team=team,
        project=project_name,
    )  # fmt: skip
    run_lineage.record_use(locate.principal(), run, version)
    return {"artifact": artifact_node(version.collection, version)}


# --- reading -------------------------------------------------------------------------------


def _split_ref(name: str) -> tuple[str, str]:
    collection, _, ref = str(name).partition(":")
    return collection, ref or artifacts.LATEST


def _version(project: Project, name: str, ref: str):
    try:
        collection = artifacts.load_collection(project, name)
        return collection, artifacts.resolve_version(collection, ref)
    except NotFound:
        return None, None


def _sequence(collection: ArtifactCollection) -> dict[str, Any]:
    project = collection.project
    return {
        "__typename": "ArtifactSequence",
        "id": _b64(f"ArtifactCollection:{collection.id}"),
        "name": collection.name,
        "project": {
            "id": _b64(f"Project:{project.id}"),
            "internalId": str(project.id),
            "name": project.name,
            "entityName": project.team.slug,
            "entity": {"name": project.team.slug},
        },
    }


def _aliases(collection: ArtifactCollection, version: ArtifactVersion) -> list[dict[str, Any]]:
    names = artifacts.aliases_of([version.id])[version.id]
    if artifacts.latest_numbers([collection.id]).get(collection.id) == version.version:
        names = [artifacts.LATEST, *names]
    return [
        {
            "__typename": "ArtifactAlias",
            "id": _b64(f"ArtifactAlias:{collection.id}:{alias}"),
            "alias": alias,
            "artifactCollection": _sequence(collection),
        }
        for alias in names
    ]


def artifact_node(collection: ArtifactCollection, version: ArtifactVersion) -> dict[str, Any]:
    team = collection.project.team
    return {
        "__typename": "Artifact",
        "id": _committed_id(collection, version),
        "artifactSequence": _sequence(collection),
        "artifactType": {"__typename": "ArtifactType", "name": collection.type},
        "versionIndex": version.version,
        "description": version.description or None,
        "metadata": json.dumps(version.meta or {}),
        "ttlDurationSeconds": -1,
        "ttlIsInherited": True,
        "tags": [],
        "historyStep": None,
        "state": version.state.upper(),
        "size": version.size,
        "digest": version.digest,
        "commitHash": version.digest[:20],
        "fileCount": version.file_count,
        "createdAt": iso(version.created_at),
        "updatedAt": iso(version.committed_at or version.created_at),
        "aliases": lambda **_: _aliases(collection, version),
        "currentManifest": lambda **_: {
            "file": {"directUrl": _download(team, CLIENT_MANIFESTS + f"{version.id}.json")}
        },
        "files": lambda after=None, first=None, **_: _files(collection, version, after, first),
    }


def _download(team, key: str) -> str:
    return files.download_url(team, key)["url"]


def _files(collection, version, after, first) -> dict[str, Any]:
    project = locate.project_named(
        collection.project.team.slug, collection.project.name, "artifact:download"
    )
    entries = artifact_versions.manifest_entries(version)
    start = int(after) + 1 if str(after or "").isdigit() else 0
    limit = max(1, min(int(first or 5000), 10_000))
    chosen = entries[start : start + limit]
    edges = [
        {
            "cursor": str(start + n),
            "node": {
                "__typename": "File",
                "name": entry.path,
                "sizeBytes": entry.size,
                # The SDK downloads the entries listed here; a reference it resolves itself
                # (Outpost holds no bytes for it), so its URL is the reference's own.
                "directUrl": entry.ref
                or _download(project.team, artifact_files.object_key(entry.digest)),
            },
        }
        for n, entry in enumerate(chosen)
    ]
    end = edges[-1]["cursor"] if edges else after
    return connection(edges, end, start + limit < len(entries))


def _membership(collection, version) -> dict[str, Any]:
    return {
        "__typename": "ArtifactCollectionMembership",
        "id": _b64(f"Membership:{version.id}"),
        "versionIndex": version.version,
        "createdAt": iso(version.created_at),
        "aliases": lambda **_: _aliases(collection, version),
        "artifactCollection": _sequence(collection),
        "artifact": artifact_node(collection, version),
        "files": lambda after=None, first=None, **_: _files(collection, version, after, first),
    }


def project_artifact_fields(project: Project) -> dict[str, Any]:
    def visible(name):
        locate.project_named(project.team.slug, project.name, "artifact:view")
        return _version(project, *_split_ref(name))

    def artifact(name=None, **_):
        collection, version = visible(name)
        return artifact_node(collection, version) if version else None

    def membership(name=None, **_):
        collection, version = visible(name)
        return _membership(collection, version) if version else None

    def collection_node(name=None, **_):
        def member(aliasName=None, **_):
            found, version = visible(f"{name}:{aliasName or artifacts.LATEST}")
            return _membership(found, version) if version else None

        return {"__typename": "ArtifactSequence", "name": name, "artifactMembership": member}

    return {
        "artifact": artifact,
        "artifactCollectionMembership": membership,
        "artifactCollection": collection_node,
    }


def _committed_as(artifact_id: Any) -> str | None:
    """``team/project/name:vN`` that a pending artifact committed as, or None."""
    state = _pending(artifact_id)
    try:
        project = locate.project_named(state["t"], state["p"], "artifact:view")
    except NotFound:
        return None
    label = artifact_files.read_object(project.team, COMMITTED_AS + state["u"], limit=1024)
    return f"{state['t']}/{state['p']}/{label.decode()}" if label else None


def resolve_artifact(id: Any = None, **_: Any) -> dict[str, Any] | None:
    kind, ref = _unb64(id)
    if kind == PENDING:
        kind, ref = COMMITTED, _committed_as(id)
    if kind != COMMITTED or not ref:
        return None
    path, _, version_ref = ref.rpartition(":")
    team, project_name, name = (path.split("/", 2) + ["", "", ""])[:3]
    try:
        load_team(team)
        project = locate.project_named(team, project_name, "artifact:view")
    except NotFound:
        return None
    collection, version = _version(project, name, version_ref)
    return artifact_node(collection, version) if version else None


QUERIES: dict[str, Any] = {"artifact": resolve_artifact}
MUTATIONS: dict[str, Any] = {
    "createArtifact": create_artifact,
    "createArtifactManifest": create_artifact_manifest,
    "commitArtifact": commit_artifact,
    "useArtifact": use_artifact,
}
