"""The storage provider interface, and the logic every provider shares.

Provisioning and probing are written once here on top of a few primitives each provider
implements; providers translate their client library's errors into ``errors.StorageError``.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from .digests import DigestCheck, DigestMismatch
from .errors import AccessDenied, BucketTaken, InvalidObjectKey, ProbeFailed, StorageError
from .naming import label_value, validate_bucket_name
from .results import (
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    TEAM_LABEL,
    BucketConfig,
    CorsRule,
    ObjectInfo,
    PresignedUpload,
    ProbeReport,
    ProvisionResult,
    cors_missing_origins,
    is_outpost_rule,
    outpost_cors_rule,
)
from .settings import StorageSettings


@dataclass
class BucketUpdate:
    """What provisioning must change on a bucket; None / False means leave it alone."""

    versioning: bool = False
    cors_rules: list[CorsRule] | None = None
    labels: dict[str, str] | None = None

    @property
    def needed(self) -> bool:
        return self.versioning or self.cors_rules is not None or self.labels is not None


def team_labels(team_slug: str) -> dict[str, str]:
    """The tags (S3) / labels (GCS) that name a team bucket's owner."""
    return {TEAM_LABEL: label_value(team_slug), MANAGED_BY_LABEL: MANAGED_BY_VALUE}


def probe_key(prefix: str) -> str:
    """A fresh object key under ``prefix`` for an access probe; raises InvalidObjectKey."""
    clean = prefix.strip("/")
    if ".." in clean.split("/") or "\\" in clean:
        raise InvalidObjectKey(f"Path prefix {prefix!r} must not contain '..' or backslashes.")
    name = f".outpost-access-probe-{uuid.uuid4().hex}"
    return f"{clean}/{name}" if clean else name


class ByteSink(Protocol):
    def write(self, chunk: bytes, /) -> int: ...


class StorageProvider(ABC):
    """One object store, reached with one set of settings.

    Every method may raise a ``StorageError`` subclass: StorageUnavailable (endpoint not
    reachable), InvalidCredentials, AccessDenied, BucketNotFound, and the ones named per method.
    """

    name: ClassVar[str]
    supports_versioning: ClassVar[bool] = True
    supports_cors: ClassVar[bool] = True
    labels_word: ClassVar[str] = "labels"
    cors_headers: ClassVar[tuple[str, ...]] = ("*",)

    def __init__(self, settings: StorageSettings):
        self.settings = settings

    # -- team buckets -----------------------------------------------------------------------

    def ensure_team_bucket(
        self, bucket: str, *, team_slug: str, cors_origins: Sequence[str] = ()
    ) -> ProvisionResult:
        """Create or repair a team bucket (versioning, CORS, owner labels); idempotent.

        Raises InvalidBucketName, BucketTaken (name held by another account or labelled for
        another team), AccessDenied, StorageUnavailable.
        """
        return self._reconcile(bucket, team_slug, cors_origins, apply=True)

    def check_team_bucket(
        self, bucket: str, *, team_slug: str, cors_origins: Sequence[str] = ()
    ) -> ProvisionResult:
        """Report what ``ensure_team_bucket`` would change, changing nothing. Raises the same."""
        return self._reconcile(bucket, team_slug, cors_origins, apply=False)

    def _reconcile(
        self, bucket: str, team_slug: str, cors_origins: Sequence[str], *, apply: bool
    ) -> ProvisionResult:
        validate_bucket_name(bucket)
        current = self._bucket_config(bucket, labels=True)
        if current is None:
            status, current, changes = "created", BucketConfig(), ["create bucket"]
        else:
            self._refuse_foreign_bucket(bucket, current, team_slug)
            status, changes = "updated", []
        update = self._plan(current, team_slug, list(cors_origins), changes)
        if status == "updated" and not changes:
            status = "unchanged"
        if apply and status == "created":
            self._create_bucket(bucket)
            try:
                self._update_bucket(bucket, update)
            except StorageError:
                self._remove_new_bucket(bucket)
                raise
        elif apply and update.needed:
            self._update_bucket(bucket, update)
        return ProvisionResult(bucket, team_slug, status, changes, dry_run=not apply)

    def _remove_new_bucket(self, bucket: str) -> None:
        """Remove a bucket this call just created and could not finish: nothing half-made."""
        try:
            self.delete_bucket(bucket, purge=True)
        except StorageError:
            pass  # the error that stopped provisioning is the one worth reporting

    def _refuse_foreign_bucket(self, bucket: str, current: BucketConfig, team_slug: str) -> None:
        owner = current.labels.get(TEAM_LABEL)
        if owner and owner != label_value(team_slug):
            raise BucketTaken(
                f"Bucket {bucket} already belongs to Outpost team {owner!r}, not "
                f"{team_slug!r}; it was left unchanged."
            )

    def _plan(
        self, current: BucketConfig, team_slug: str, origins: list[str], changes: list[str]
    ) -> BucketUpdate:
        """Work out what differs from the wanted state; append descriptions to ``changes``."""
        update = BucketUpdate()
        if self.supports_versioning and not current.versioning:
            update.versioning = True
            changes.append("enable versioning")
        missing = cors_missing_origins(current.cors_rules, origins) if self.supports_cors else []
        if missing:
            update.cors_rules = [r for r in current.cors_rules if not is_outpost_rule(r)]
            update.cors_rules.append(outpost_cors_rule(origins, self.cors_headers))
            changes.append(f"allow CORS uploads and downloads from {', '.join(missing)}")
        wanted = team_labels(team_slug)
        differ = {k: v for k, v in wanted.items() if current.labels.get(k) != v}
        if differ:
            update.labels = {**current.labels, **wanted}
            pairs = ", ".join(f"{k}={v}" for k, v in differ.items())
            changes.append(f"set {self.labels_word} {pairs}")
        return update

    # -- bring your own bucket --------------------------------------------------------------

    def probe_access(
        self, bucket: str, *, prefix: str = "", cors_origins: Sequence[str] = ()
    ) -> ProbeReport:
        """Prove these settings can write, read back and delete an object under ``prefix``.

        Missing versioning or CORS are returned as warnings. Raises BucketNotFound,
        InvalidCredentials, AccessDenied (naming the step that was refused), StorageUnavailable,
        ProbeFailed (bytes read back differ), InvalidObjectKey (bad prefix).
        """
        key = probe_key(prefix)
        payload = f"outpost access probe {uuid.uuid4()}".encode()
        version = self.put_bytes(bucket, key, payload)
        try:
            if self.get_bytes(bucket, key) != payload:
                raise ProbeFailed(f"The probe object read back from {bucket}/{key} differs.")
        except StorageError:
            self._delete_quietly(bucket, key, version)
            raise
        warnings = self._delete_probe(bucket, key, version)
        warnings += self._bucket_warnings(bucket, list(cors_origins))
        return ProbeReport(bucket, prefix, ["write", "read", "delete"], warnings)

    def _delete_probe(self, bucket: str, key: str, version: str | None) -> list[str]:
        if version is None:
            self.delete_object(bucket, key)
            return []
        try:
            self.delete_object(bucket, key, version_id=version)
        except AccessDenied:
            self.delete_object(bucket, key)
            return [
                f"These credentials may delete objects but not object versions; a noncurrent "
                f"version of the probe object {key} remains in the bucket."
            ]
        return []

    def _delete_quietly(self, bucket: str, key: str, version: str | None) -> None:
        try:
            self.delete_object(bucket, key, version_id=version)
        except StorageError:
            pass  # the original error is the one worth reporting

    def _bucket_warnings(self, bucket: str, origins: list[str]) -> list[str]:
        try:
            config = self._bucket_config(bucket, labels=False)
        except AccessDenied:
            return [
                f"These credentials may not read the versioning and CORS settings of {bucket}; "
                "check them in the provider's console."
            ]
        warnings = []
        if config is not None and self.supports_versioning and not config.versioning:
            warnings.append(
                f"Versioning is off on {bucket}: overwritten or deleted files cannot be recovered."
            )
        if config is not None and self.supports_cors:
            missing = cors_missing_origins(config.cors_rules, origins)
            if missing:
                warnings.append(
                    f"CORS on {bucket} does not let {', '.join(missing)} upload and download "
                    "(GET, PUT, HEAD with a Content-Type header): browser uploads will fail."
                )
            elif not origins and not config.cors_rules:
                warnings.append(f"{bucket} has no CORS rules: browser uploads will fail.")
        return warnings

    # -- primitives each provider implements ------------------------------------------------

    @abstractmethod
    def _bucket_config(self, bucket: str, *, labels: bool) -> BucketConfig | None:
        """Read versioning, CORS and (if asked) labels; None if the bucket does not exist.

        Raises AccessDenied when the bucket exists but cannot be read with these credentials.
        """

    @abstractmethod
    def _create_bucket(self, bucket: str) -> None:
        """Create the bucket; raise BucketTaken if the name is held by someone else."""

    @abstractmethod
    def _update_bucket(self, bucket: str, update: BucketUpdate) -> None:
        """Turn versioning on, replace CORS rules, replace labels: whichever ``update`` names."""

    # -- objects ----------------------------------------------------------------------------

    @abstractmethod
    def put_bytes(
        self, bucket: str, key: str, data: bytes, *, content_type: str | None = None
    ) -> str | None:
        """Store a small object (server-side writes such as manifests); return its version id."""

    @abstractmethod
    def get_bytes(self, bucket: str, key: str) -> bytes:
        """Return a whole object; raises ObjectNotFound."""

    @abstractmethod
    def delete_object(self, bucket: str, key: str, *, version_id: str | None = None) -> None:
        """Delete an object (one version if given); deleting a missing object is no error."""

    @abstractmethod
    def stat_object(self, bucket: str, key: str) -> ObjectInfo | None:
        """Size and ETag of an object, or None when it does not exist."""

    @abstractmethod
    def presign_get(
        self, bucket: str, key: str, expires_in: int = 3600, *, filename: str | None = None
    ) -> str:
        """A URL that lets anyone holding it GET the object for ``expires_in`` seconds.

        The response's type and disposition are the ones ``serving.delivery_for`` decides for
        ``filename`` (default: the key's last segment), whatever type the uploader sent.
        """

    @abstractmethod
    def presign_put(
        self, bucket: str, key: str, expires_in: int = 86400, content_length: int | None = None
    ) -> PresignedUpload:
        """A URL (plus headers to send) to PUT the object; ``content_length`` pins the size."""

    # -- multipart uploads (providers with ``supports_multipart``) ----------------------------

    supports_multipart: ClassVar[bool] = False

    def start_multipart(self, bucket: str, key: str) -> str:
        """Begin a multipart upload to ``key``; return its upload id."""
        raise NotImplementedError

    def presign_part(
        self, bucket: str, key: str, upload_id: str, part_number: int, expires_in: int = 86400
    ) -> str:
        """A URL to PUT part ``part_number`` (1-based); the response carries the part's ETag."""
        raise NotImplementedError

    def complete_multipart(
        self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> None:
        """Join the ``(part number, ETag)`` parts, in order, into the object at ``key``.
        Raises InvalidMultipart (unknown upload, a part missing or with another ETag)."""
        raise NotImplementedError

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        """Discard an unfinished multipart upload and its parts; an unknown one is no error."""
        raise NotImplementedError

    # -- verified objects -------------------------------------------------------------------

    @abstractmethod
    def read_into(
        self, bucket: str, key: str, sink: ByteSink, *, pin: ObjectInfo | None = None
    ) -> None:
        """Stream the object's bytes into ``sink`` chunk by chunk (never whole in memory).

        With ``pin`` (from ``stat_object``) only that version is read. Raises ObjectNotFound,
        ObjectChanged (the pinned version is gone or was overwritten).
        """

    def _copy_object(
        self, bucket: str, source: str, target: str, pin: ObjectInfo | None = None
    ) -> None:
        """Server-side copy of ``source`` (exactly the ``pin`` version, when given) to
        ``target``. Raises ObjectChanged when that version is gone. Used by ``claim_object``."""
        raise NotImplementedError

    def claim_object(self, bucket: str, source: str, target: str, check: DigestCheck) -> bool:
        """Put the object at ``source`` at ``target`` if its bytes pass ``check``, then delete
        ``source``. ``target`` only ever receives the bytes that were checked, even if a client
        overwrites ``source`` meanwhile: a versioned bucket's read and copy are pinned to one
        version; without versions the check reads a private copy that no URL can write.

        Returns False when ``source`` does not exist. Raises DigestMismatch (``source`` is
        deleted: its bytes are wrong), ObjectChanged (the pinned version vanished).
        """
        info = self.stat_object(bucket, source)
        if info is None:
            return False
        checked, pin = source, info
        if not info.version_id:
            checked, pin = f"{source}.claim-{uuid.uuid4().hex}", None
            self._copy_object(bucket, source, checked)
        try:
            self.read_into(bucket, checked, check, pin=pin)
            check.verify()
            self._copy_object(bucket, checked, target, pin)
        except DigestMismatch:
            self._delete_quietly(bucket, source, info.version_id)
            raise
        finally:
            if checked != source:
                self._delete_quietly(bucket, checked, None)
        self._delete_quietly(bucket, source, info.version_id)
        return True

    def verify_object(self, bucket: str, key: str, check: DigestCheck) -> bool:
        """Check an object's bytes in place; False when it does not exist.
        Raises DigestMismatch, ObjectChanged."""
        info = self.stat_object(bucket, key)
        if info is None:
            return False
        self.read_into(bucket, key, check, pin=info)
        check.verify()
        return True

    # -- buckets ----------------------------------------------------------------------------

    @abstractmethod
    def ping(self) -> None:
        """Return if the store answers with these credentials; raise StorageUnavailable if not."""

    @abstractmethod
    def bucket_usage(self, bucket: str) -> int:
        """Bytes held by the current versions of all objects. Raises BucketNotFound."""

    @abstractmethod
    def delete_bucket(self, bucket: str, *, purge: bool = True) -> bool:
        """Delete a bucket, first every object version if ``purge``; False if it did not exist.

        Raises BucketNotEmpty when ``purge`` is False and objects remain.
        """
