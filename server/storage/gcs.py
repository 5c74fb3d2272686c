"""Google Cloud Storage provider, built on google-cloud-storage.

Credentials: a service-account JSON (``credentials_info`` / ``credentials_file``), else the
standard Google chain (``GOOGLE_APPLICATION_CREDENTIALS``, workload identity, metadata server).
With an emulator (``STORAGE_EMULATOR_HOST`` or ``anonymous=True``) requests are anonymous and URLs
are signed with a throwaway key, since the emulator does not check signatures.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache

import google.auth
import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc
from google.auth.credentials import AnonymousCredentials, Signing
from google.auth.transport.requests import Request
from google.cloud import storage
from google.oauth2 import service_account

from .base import BucketUpdate, StorageProvider
from .errors import (
    AccessDenied,
    BucketNotEmpty,
    BucketNotFound,
    BucketTaken,
    InvalidCredentials,
    ObjectChanged,
    ObjectNotFound,
    StorageConfigError,
    StorageError,
    StorageUnavailable,
    unreachable,
)
from .results import BucketConfig, CorsRule, ObjectInfo, PresignedUpload
from .serving import delivery_for

log = logging.getLogger(__name__)
SCOPES = ("https://www.googleapis.com/auth/devstorage.full_control",)
EMULATOR_PROJECT = "outpost-emulator"
# GCS uses responseHeader both to allow request headers and to expose response headers.
GCS_CORS_HEADERS = ("Content-Type", "Content-MD5", "Content-Length", "ETag", "x-goog-resumable")


@cache
def _throwaway_signer() -> service_account.Credentials:
    """An RSA key made once per process, for signing URLs an emulator will not verify."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    info = {
        "type": "service_account",
        "client_email": "outpost-emulator@localhost.invalid",
        "private_key": pem,
        "token_uri": "https://oauth2.googleapis.com/token",  # never called: signing is local
    }
    return service_account.Credentials.from_service_account_info(info)


def _native_cors(rule: CorsRule) -> dict:
    item: dict = {"origin": list(rule.origins), "method": list(rule.methods)}
    if rule.headers:
        item["responseHeader"] = list(rule.headers)
    if rule.max_age is not None:
        item["maxAgeSeconds"] = rule.max_age
    return item


class GCSProvider(StorageProvider):
    """Buckets and objects in Google Cloud Storage (or its emulator)."""

    name = "gcs"
    labels_word = "labels"
    cors_headers = GCS_CORS_HEADERS

    def __init__(self, settings):
        super().__init__(settings)
        emulator = os.environ.get("STORAGE_EMULATOR_HOST")
        self.endpoint = settings.endpoint or emulator or None
        self.anonymous = settings.anonymous or bool(emulator)
        self._timeout = (settings.connect_timeout, settings.read_timeout)
        self._client = None
        self._credentials = None

    # -- client -----------------------------------------------------------------------------

    def _load_credentials(self):
        s = self.settings
        if self.anonymous:
            return AnonymousCredentials(), s.project or EMULATOR_PROJECT
        if s.credentials_info:
            info = s.credentials_info
            info = json.loads(info) if isinstance(info, str) else dict(info)
            creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
            return creds, s.project or info.get("project_id")
        if s.credentials_file:
            creds = service_account.Credentials.from_service_account_file(
                s.credentials_file, scopes=SCOPES
            )
            return creds, s.project or creds.project_id
        if not s.ambient_credentials:
            raise StorageConfigError("This storage connection needs service-account credentials.")
        creds, project = google.auth.default(scopes=SCOPES)
        return creds, s.project or project

    @property
    def client(self) -> storage.Client:
        """The google-cloud-storage client (created on first use)."""
        if self._client is None:
            with self._translated("connect to", "Google Cloud Storage"):
                creds, project = self._load_credentials()
            options = {"api_endpoint": self.endpoint} if self.endpoint else None
            self._credentials = creds
            self._client = storage.Client(
                project=project, credentials=creds, client_options=options
            )
        return self._client

    @property
    def _where(self) -> str:
        return self.endpoint or "Google Cloud Storage"

    @contextmanager
    def _translated(
        self, action: str, target: str, missing: type[StorageError] = BucketNotFound
    ) -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except gexc.NotFound as exc:
            raise missing(f"{target} does not exist at {self._where}.") from exc
        except (gexc.Unauthorized, auth_exc.RefreshError) as exc:
            # A refresh error holds the token endpoint's answer: log it, never show it.
            log.warning("GCS credentials refused at %s: %s", self._where, exc)
            raise InvalidCredentials(
                f"{self._where} rejected the credentials: check the service account."
            ) from exc
        except gexc.Forbidden as exc:
            message = f"Access denied: these credentials may not {action} {target}."
            raise AccessDenied(message) from exc
        except gexc.Conflict as exc:
            raise BucketTaken(f"The bucket name {target} is already taken.") from exc
        except (gexc.ServerError, gexc.TooManyRequests) as exc:
            raise StorageUnavailable(f"{self._where} is unavailable (HTTP {exc.code}).") from exc
        except (requests.ConnectionError, requests.Timeout, auth_exc.TransportError) as exc:
            raise self._unreachable(exc) from exc
        except auth_exc.DefaultCredentialsError as exc:
            raise StorageConfigError(f"No Google credentials are configured: {exc}") from exc
        except gexc.GoogleAPICallError as exc:
            log.warning("GCS %s %s failed: %s", action, target, exc)
            raise StorageError(f"Could not {action} {target} (HTTP {exc.code}).") from exc

    def _unreachable(self, exc: Exception) -> StorageError:
        cause = exc if isinstance(exc, requests.Timeout) else exc.__cause__ or exc.__context__
        timed_out = isinstance(exc, requests.Timeout) or isinstance(cause, requests.Timeout)
        connect = isinstance(exc, requests.ConnectTimeout) or isinstance(
            cause, requests.ConnectTimeout
        )
        seconds = self.settings.connect_timeout if connect else self.settings.read_timeout
        return unreachable(self._where, exc, timed_out=timed_out, seconds=seconds)

    def _call(self, method, *args, **kwargs):
        """Call a client method with the short timeout and no retries (callers retry)."""
        return method(*args, timeout=self._timeout, retry=None, **kwargs)

    # -- team buckets -----------------------------------------------------------------------

    def _bucket_config(self, bucket: str, *, labels: bool) -> BucketConfig | None:
        with self._translated("read the settings of bucket", bucket):
            try:
                found = self._call(self.client.get_bucket, bucket)
            except gexc.NotFound:
                return None
            except gexc.Forbidden as exc:
                raise AccessDenied(
                    f"Access denied: these credentials may not read the settings of bucket "
                    f"{bucket}: the name belongs to another project, or they lack permission."
                ) from exc
        rules = [
            CorsRule(
                origins=tuple(c.get("origin", ())),
                methods=tuple(c.get("method", ())),
                headers=tuple(c.get("responseHeader", ())),
                expose_headers=tuple(c.get("responseHeader", ())),
                max_age=c.get("maxAgeSeconds"),
            )
            for c in found.cors
        ]
        return BucketConfig(
            versioning=bool(found.versioning_enabled),
            cors_rules=rules,
            labels=dict(found.labels) if labels else {},
        )

    def _create_bucket(self, bucket: str) -> None:
        with self._translated("create bucket", bucket):
            self._call(self.client.create_bucket, bucket, location=self.settings.region)

    def _update_bucket(self, bucket: str, update: BucketUpdate) -> None:
        handle = self.client.bucket(bucket)
        # Always restate versioning: one PATCH carries the whole wanted state, and the emulator
        # turns versioning off on any PATCH that leaves it out.
        handle.versioning_enabled = True
        if update.cors_rules is not None:
            handle.cors = [_native_cors(rule) for rule in update.cors_rules]
        if update.labels is not None:
            handle.labels = update.labels
        with self._translated("update the settings of bucket", bucket):
            self._call(handle.patch)

    # -- objects ----------------------------------------------------------------------------

    def put_bytes(self, bucket, key, data, *, content_type=None):
        blob = self.client.bucket(bucket).blob(key)
        with self._translated("write", f"{bucket}/{key}"):
            self._call(blob.upload_from_string, data, content_type=content_type)
        return str(blob.generation) if blob.generation else None

    def get_bytes(self, bucket, key):
        blob = self.client.bucket(bucket).blob(key)
        with self._translated("read", f"{bucket}/{key}", missing=ObjectNotFound):
            return self._call(blob.download_as_bytes)

    def delete_object(self, bucket, key, *, version_id=None):
        generation = int(version_id) if version_id else None
        blob = self.client.bucket(bucket).blob(key, generation=generation)
        with self._translated("delete", f"{bucket}/{key}"):
            try:
                self._call(blob.delete)
            except gexc.NotFound:
                pass

    def stat_object(self, bucket, key):
        with self._translated("read", f"{bucket}/{key}"):
            blob = self._call(self.client.bucket(bucket).get_blob, key)
        if blob is None:
            return None
        etag = base64.b64decode(blob.md5_hash).hex() if blob.md5_hash else blob.etag
        return ObjectInfo(
            key=key,
            size=int(blob.size or 0),
            etag=etag,
            version_id=str(blob.generation) if blob.generation else None,
            last_modified=blob.updated,
        )

    def _signing_kwargs(self) -> dict:
        if self.anonymous:
            return {"credentials": _throwaway_signer()}
        self.client  # noqa: B018 - loads the credentials
        creds = self._credentials
        if isinstance(creds, Signing) and hasattr(creds, "signer_email"):
            return {"credentials": creds}
        # Instance identity has no private key: sign through the IAM signBlob API instead.
        creds.refresh(functools.partial(Request(), timeout=self._timeout))
        return {"service_account_email": creds.service_account_email, "access_token": creds.token}

    def _signed_url(self, bucket, key, method, expires_in, headers=None, **extra) -> str:
        endpoint = self.settings.public_url or self.endpoint
        with self._translated("sign a URL for", f"{bucket}/{key}"):
            return (
                self.client.bucket(bucket)
                .blob(key)
                .generate_signed_url(
                    version="v4",
                    expiration=timedelta(seconds=expires_in),
                    method=method,
                    headers=headers,
                    **({"api_access_endpoint": endpoint} if endpoint else {}),
                    **self._signing_kwargs(),
                    **extra,
                )
            )

    def presign_get(self, bucket, key, expires_in=3600, *, filename=None):
        delivery = delivery_for(filename or key)
        return self._signed_url(
            bucket,
            key,
            "GET",
            expires_in,
            response_type=delivery.content_type,
            response_disposition=delivery.disposition,
        )

    def presign_put(self, bucket, key, expires_in=86400, content_length=None):
        headers = {"Content-Length": str(content_length)} if content_length is not None else {}
        # the library adds Host to the dict it is given: hand it a copy
        url = self._signed_url(bucket, key, "PUT", expires_in, dict(headers) or None)
        return PresignedUpload(url=url, headers=headers, expires_in=expires_in)

    # -- verified objects -------------------------------------------------------------------

    def read_into(self, bucket, key, sink, *, pin=None):
        generation = int(pin.version_id) if pin is not None and pin.version_id else None
        blob = self.client.bucket(bucket).blob(key, generation=generation)
        missing = ObjectChanged if generation else ObjectNotFound
        with self._translated("read", f"{bucket}/{key}", missing=missing):
            self._call(blob.download_to_file, sink)

    def _copy_object(self, bucket, source, target, pin=None):
        handle = self.client.bucket(bucket)
        generation = int(pin.version_id) if pin is not None and pin.version_id else None
        with self._translated("copy", f"{bucket}/{source}", missing=ObjectChanged):
            self._call(
                handle.copy_blob, handle.blob(source), handle, target, source_generation=generation
            )

    # -- buckets ----------------------------------------------------------------------------

    def ping(self):
        with self._translated("list buckets at", self._where):
            try:
                pages = self._call(self.client.list_buckets, max_results=1).pages
                next(pages, None)
            except gexc.Forbidden:
                return  # reachable and authenticated; listing is just not allowed

    def bucket_usage(self, bucket):
        with self._translated("list", bucket):
            return sum(int(b.size or 0) for b in self._call(self.client.list_blobs, bucket))

    def delete_bucket(self, bucket, *, purge=True):
        with self._translated("delete bucket", bucket):
            try:
                if purge:
                    for blob in self._call(self.client.list_blobs, bucket, versions=True):
                        self.delete_object(bucket, blob.name, version_id=str(blob.generation))
                self._call(self.client.bucket(bucket).delete)
            except gexc.NotFound:
                return False
            except (gexc.Conflict, gexc.PreconditionFailed) as exc:
                # GCS answers 409, its emulator 412
                raise BucketNotEmpty(f"Bucket {bucket} still holds objects.") from exc
        return True
