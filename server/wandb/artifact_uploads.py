"""Upload URLs for an artifact's files over the W&B protocol (``createArtifactFiles``), and
multipart uploads of large files (``completeMultipartUploadArtifact``).

Every file goes to a staging key of its pending artifact, named by its MD5; ``commitArtifact``
checks the bytes there against that MD5 before the version commits, however they were
uploaded. The SDK asks for a multipart upload (``uploadPartsInput``: part numbers and MD5s)
for files of 2 GiB and more: on storage that offers multipart uploads (S3, the filesystem) it
gets a pre-signed URL per part and completes the upload here; elsewhere (GCS) it gets no part
URLs and falls back to one PUT of the whole file.
"""

from __future__ import annotations

from typing import Any

from ..errors import ValidationFailed
from ..models import Project
from ..services import artifact_files, files
from .artifacts import _headers, _md5_hex, _pending, _staging, _writable

MAX_PARTS = 10_000


def _part_numbers(parts: Any) -> list[int] | None:
    """The part numbers the client will upload (1..N, each once), or None for one PUT."""
    if not parts:
        return None
    try:
        numbers = [int(part["partNumber"]) for part in parts]
    except (TypeError, KeyError, ValueError):
        numbers = []
    if sorted(numbers) != list(range(1, len(numbers) + 1)) or len(numbers) > MAX_PARTS:
        raise ValidationFailed(
            f"uploadPartsInput must number the parts 1 to N (at most {MAX_PARTS}).",
            code="invalid_multipart_upload",
        )
    return numbers


def _file_node(project: Project, spec: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    key = artifact_files.staging_key(_staging(state), "md5:" + _md5_hex(spec.get("md5")))
    upload = files.upload_url(project.team, key)
    node = {
        "storagePath": key,
        "uploadUrl": upload["url"],
        "uploadHeaders": _headers(upload),
        "uploadMultipartUrls": None,
        "artifact": {"id": spec.get("artifactID")},
    }
    numbers = _part_numbers(spec.get("uploadPartsInput"))
    if numbers and files.multipart_supported(project.team):
        started = files.start_multipart(project.team, key, numbers)
        node["uploadMultipartUrls"] = {
            "uploadID": started["upload_id"],
            "uploadUrlParts": [
                {"partNumber": n, "uploadUrl": url} for n, url in started["parts"].items()
            ],
        }
    return node


def create_artifact_files(input: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
    edges = []
    projects: dict[str, Project] = {}
    for spec in (input or {}).get("artifactFiles") or []:
        state = _pending(spec.get("artifactID"))
        if state["u"] not in projects:
            projects[state["u"]] = _writable(state)[0]
        edges.append({"node": _file_node(projects[state["u"]], spec, state)})
    return {"files": {"edges": edges}}


def _completed_parts(parts: Any) -> list[tuple[int, str]]:
    try:
        listed = [(int(part["partNumber"]), str(part["hexMD5"])) for part in parts or []]
    except (TypeError, KeyError, ValueError):
        listed = []
    if not listed:
        raise ValidationFailed(
            "completedParts must list each part's number and ETag.",
            code="invalid_multipart_upload",
        )
    return listed


def complete_multipart_upload(input: dict[str, Any] | None = None, **_: Any) -> dict[str, Any]:
    """Join (or, with ``completeMultipartAction: Abort``, discard) the parts of one file of a
    pending artifact; its bytes are checked when the artifact commits."""
    data = input or {}
    state = _pending(data.get("artifactID"))
    project, _collection = _writable(state)
    key = str(data.get("storagePath") or "")
    name = key.removeprefix(artifact_files.staging_key(_staging(state), ""))
    if name == key or not artifact_files.MD5_DIGEST_RE.match(name):
        raise ValidationFailed(
            "storagePath is not a file of this artifact.", code="invalid_storage_path"
        )
    upload_id = str(data.get("uploadID") or "")
    if str(data.get("completeMultipartAction") or "Complete").lower() == "abort":
        files.abort_multipart(project.team, key, upload_id)
        return {"digest": None}
    files.complete_multipart(
        project.team, key, upload_id, _completed_parts(data.get("completedParts"))
    )
    return {"digest": name.removeprefix("md5:")}


MUTATIONS: dict[str, Any] = {
    "createArtifactFiles": create_artifact_files,
    "completeMultipartUploadArtifact": complete_multipart_upload,
}
