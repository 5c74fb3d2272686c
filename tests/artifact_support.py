"""Helpers for the artifact and registry tests: a team with a real bucket, a project, and a
client that logs artifact versions the way a user's tool does (manifest → PUT to the
pre-signed URLs with a plain HTTP client → commit)."""

from __future__ import annotations

import hashlib

from server.services import projects as project_service
from server.services import teams as team_service
from tests.factories import bearer, make_user, presigned


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_storage_team(slug: str, admin):
    """A team created through the teams service, so its bucket is provisioned for real."""
    operator = make_user(system_admin=True, password=None)
    return team_service.create_team(operator, slug, admin=admin)


def make_artifact_project(team, creator, name: str = "vision", visibility: str = "private"):
    return project_service.create_project(creator, team, name, visibility=visibility)


class ArtifactClient:
    """Calls the artifacts API of one project with one API key."""

    def __init__(self, app, client, key: str, team: str = "lab", project: str = "vision"):
        self.app, self.client, self.key = app, client, key
        self.base = f"/api/v1/teams/{team}/projects/{project}/artifacts"

    def call(self, method: str, path: str = "", **kwargs):
        return self.client.open(self.base + path, method=method, headers=bearer(self.key), **kwargs)

    def create(self, name: str = "mnist", type_: str = "dataset", **extra):
        return self.call("POST", json={"name": name, "type": type_, **extra})

    def new_version(self, name: str, contents: dict[str, bytes], **extra):
        manifest = [
            {"path": path, "digest": sha256(data), "size": len(data)}
            for path, data in contents.items()
        ]
        return self.call("POST", f"/{name}/versions", json={"files": manifest, **extra})

    def upload(self, uploads: list[dict], contents: dict[str, bytes], skip=()) -> None:
        """PUT each requested object (its bytes found by path); skip the digests in ``skip``."""
        for upload in uploads:
            if upload["digest"] in skip:
                continue
            data = contents[upload["paths"][0]]
            status, body = presigned(
                self.app, upload["method"], upload["url"], data=data, headers=upload["headers"]
            )
            assert status in (200, 201, 204), (status, body[:300])

    def commit(self, name: str, version: str, **body):
        return self.call("POST", f"/{name}/versions/{version}/commit", json=body)

    def log(self, name: str, contents: dict[str, bytes], **extra) -> dict:
        """Create, upload and commit a version; return the committed version."""
        created = self.new_version(name, contents, **extra)
        assert created.status_code == 201, created.json
        self.upload(created.json["uploads"], contents)
        committed = self.commit(name, created.json["version"])
        assert committed.status_code == 200, committed.json
        return committed.json

    def download(self, name: str, version: str) -> dict[str, bytes]:
        """Every file of a version, fetched through its pre-signed GET."""
        listing = self.call("GET", f"/{name}/versions/{version}/download")
        assert listing.status_code == 200, listing.json
        fetched = {}
        for item in listing.json["items"]:
            status, body = presigned(self.app, "GET", item["url"])
            assert status == 200, (status, body[:300])
            fetched[item["path"]] = body
        return fetched
