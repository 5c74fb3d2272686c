"""Plain data returned by storage providers; every result has ``to_dict()`` for JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Literal

ProvisionStatus = Literal["created", "updated", "unchanged", "failed"]

# What browsers need from a team bucket: upload and download straight from the console.
CORS_METHODS = ("GET", "PUT", "HEAD")
CORS_EXPOSE_HEADERS = ("ETag", "Content-Length", "Content-Type")
CORS_MAX_AGE = 3600
OUTPOST_CORS_ID = "outpost-console"

TEAM_LABEL = "outpost-team"
MANAGED_BY_LABEL = "managed-by"
MANAGED_BY_VALUE = "outpost"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    version_id: str | None = None
    last_modified: datetime | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        if self.last_modified:
            data["last_modified"] = self.last_modified.isoformat()
        return data


@dataclass(frozen=True)
class PresignedUpload:
    """A pre-signed PUT: the client must send ``headers`` with the body, byte for byte."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "PUT"
    expires_in: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CorsRule:
    """One CORS rule in provider-neutral form (S3 AllowedHeaders / GCS responseHeader)."""

    origins: tuple[str, ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    rule_id: str | None = None

    def allows(self, origin: str) -> bool:
        """True if a browser page on ``origin`` may GET, PUT and HEAD with a Content-Type."""
        methods = {m.upper() for m in self.methods}
        headers = {h.lower() for h in self.headers}
        return (
            (origin in self.origins or "*" in self.origins)
            and methods.issuperset(CORS_METHODS)
            and bool(headers & {"*", "content-type"})
        )


@dataclass
class BucketConfig:
    """The settings of an existing bucket that team provisioning cares about."""

    versioning: bool = False
    cors_rules: list[CorsRule] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProvisionResult:
    """Outcome of ensuring (or, with ``dry_run``, checking) one team bucket.

    ``status`` is what happened, or with ``dry_run`` what would happen; "failed" only appears in
    batch provisioning, with ``error`` holding the StorageError's code and message.
    """

    bucket: str
    team: str
    status: ProvisionStatus
    changes: list[str]
    dry_run: bool = False
    error: dict[str, str] | None = None

    @property
    def changed(self) -> bool:
        return self.status in ("created", "updated")

    def to_dict(self) -> dict:
        data = {
            "team": self.team,
            "bucket": self.bucket,
            "status": self.status,
            "changes": list(self.changes),
        }
        if self.error:
            data["error"] = dict(self.error)
        return data


@dataclass(frozen=True)
class ProbeReport:
    """Outcome of probing a bucket: which steps passed and what the team should fix."""

    bucket: str
    prefix: str
    checks: list[str]
    warnings: list[str]

    def to_dict(self) -> dict:
        return {
            "ok": True,  # a failed probe raises instead of returning
            "bucket": self.bucket,
            "prefix": self.prefix,
            "checks": list(self.checks),
            "warnings": list(self.warnings),
        }


def cors_missing_origins(rules: list[CorsRule], origins: list[str] | tuple[str, ...]) -> list[str]:
    """The origins of ``origins`` that no rule lets upload and download."""
    return [origin for origin in origins if not any(rule.allows(origin) for rule in rules)]


def outpost_cors_rule(origins: list[str] | tuple[str, ...], headers: tuple[str, ...]) -> CorsRule:
    return CorsRule(
        origins=tuple(origins),
        methods=CORS_METHODS,
        headers=headers,
        expose_headers=CORS_EXPOSE_HEADERS,
        max_age=CORS_MAX_AGE,
        rule_id=OUTPOST_CORS_ID,
    )


def is_outpost_rule(rule: CorsRule) -> bool:
    """Rules Outpost wrote itself: by ID (S3) or, where rules carry no ID (GCS), by shape."""
    if rule.rule_id is not None:
        return rule.rule_id == OUTPOST_CORS_ID
    return set(rule.methods) == set(CORS_METHODS) and rule.max_age == CORS_MAX_AGE
