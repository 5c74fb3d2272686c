"""S3 API provider (AWS S3, MinIO and other S3-compatible endpoints), built on boto3."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

from .base import BucketUpdate, StorageProvider
from .errors import (
    AccessDenied,
    BucketNotEmpty,
    BucketNotFound,
    BucketTaken,
    InvalidCredentials,
    InvalidMultipart,
    ObjectChanged,
    ObjectNotFound,
    StorageConfigError,
    StorageError,
    StorageUnavailable,
    unreachable,
)
from .results import BucketConfig, CorsRule, ObjectInfo, PresignedUpload
from .serving import delivery_for

CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidClientTokenId",
    "TokenRefreshRequired",
}
DENIED_CODES = {"AccessDenied", "AllAccessDisabled", "Forbidden", "403"}
UNAVAILABLE_CODES = {
    "SlowDown",
    "ServiceUnavailable",
    "InternalError",
    "XMinioServerNotInitialized",
}
REGION_CODES = {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraint"}
DELETE_BATCH = 1000
READ_CHUNK = 1024 * 1024


def _code(exc: ClientError) -> str:
    """The S3 error code, reduced to what an error code can hold (it comes from the remote)."""
    return re.sub(r"[^A-Za-z0-9.]", "", str(exc.response.get("Error", {}).get("Code", "")))[:64]


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _native_cors(rule: CorsRule) -> dict:
    item: dict = {"AllowedOrigins": list(rule.origins), "AllowedMethods": list(rule.methods)}
    if rule.rule_id:
        item["ID"] = rule.rule_id
    if rule.headers:
        item["AllowedHeaders"] = list(rule.headers)
    if rule.expose_headers:
        item["ExposeHeaders"] = list(rule.expose_headers)
    if rule.max_age is not None:
        item["MaxAgeSeconds"] = rule.max_age
    return item


class S3Provider(StorageProvider):
    """Buckets and objects on one S3 API endpoint, with one set of credentials."""

    name = "s3"
    labels_word = "tags"

    def __init__(self, settings):
        super().__init__(settings)
        self._clients: dict[str | None, object] = {}

    # -- clients ----------------------------------------------------------------------------

    @property
    def _where(self) -> str:
        return self.settings.endpoint or f"AWS S3 ({self.settings.region or 'us-east-1'})"

    def _make_client(self, endpoint: str | None):
        s = self.settings
        if not s.ambient_credentials and not (s.access_key and s.secret_key):
            raise StorageConfigError("This storage connection needs an access key and secret key.")
        style = s.addressing_style
        if style == "auto" and s.endpoint:
            style = "path"  # what MinIO and most S3-compatible servers expect
        config = Config(
            signature_version="s3v4",
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            retries={"total_max_attempts": s.max_attempts, "mode": "standard"},
            s3={"addressing_style": style},
            # Newer default checksums break older MinIO/Ceph; send them only where required.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            region_name=s.region or "us-east-1",
            aws_access_key_id=s.access_key,
            aws_secret_access_key=s.secret_key,
            aws_session_token=s.session_token,
            verify=s.verify_tls,
            config=config,
        )

    def _client_for(self, endpoint: str | None):
        if endpoint not in self._clients:
            self._clients[endpoint] = self._make_client(endpoint)
        return self._clients[endpoint]

    @property
    def client(self):
        """The boto3 client for API calls (created on first use, without network I/O)."""
        return self._client_for(self.settings.endpoint)

    @property
    def _presign_client(self):
        return self._client_for(self.settings.public_url or self.settings.endpoint)

    # -- error translation ------------------------------------------------------------------

    @contextmanager
    def _translated(self, action: str, target: str) -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except ClientError as exc:
            raise self._from_client_error(exc, action, target) from exc
        except (BotoConnectionError, HTTPClientError) as exc:
            timed_out = isinstance(exc, ConnectTimeoutError | ReadTimeoutError)
            seconds = self.settings.read_timeout if timed_out else 0
            if isinstance(exc, ConnectTimeoutError):
                seconds = self.settings.connect_timeout
            where = f"The S3 endpoint {self._where}"
            raise unreachable(where, exc, timed_out=timed_out, seconds=seconds) from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise InvalidCredentials(f"No usable S3 credentials are configured: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"Could not {action} {target}: {exc}") from exc

    def _from_client_error(self, exc: ClientError, action: str, target: str) -> StorageError:
        # The remote's message is never repeated: only its (sanitised) code and status.
        code, status = _code(exc), _status(exc)
        if code == "NoSuchBucket":
            return BucketNotFound(f"Bucket {target.split('/')[0]} does not exist at {self._where}.")
        if code in ("NoSuchKey", "404", "NotFound"):
            return ObjectNotFound(f"{target} does not exist.")
        if code in CREDENTIAL_CODES:
            return InvalidCredentials(
                f"{self._where} rejected the credentials ({code}): check the access key and "
                "secret key."
            )
        if code in DENIED_CODES or status == 403:
            return AccessDenied(
                f"Access denied: these credentials may not {action} {target} ({code})."
            )
        if code == "BucketAlreadyExists":
            return BucketTaken(f"The bucket name {target} is already taken by another account.")
        if code in REGION_CODES:
            return StorageConfigError(
                f"Bucket {target} is in a different region than the configured "
                f"{self.settings.region or 'us-east-1'} ({code}): set the bucket's region."
            )
        if code in UNAVAILABLE_CODES or status >= 500:
            return StorageUnavailable(f"{self._where} is unavailable ({code or status}).")
        return StorageError(f"Could not {action} {target}: {code or f'HTTP {status}'}.")

    # -- team buckets -----------------------------------------------------------------------

    def _bucket_config(self, bucket: str, *, labels: bool) -> BucketConfig | None:
        with self._translated("read the settings of bucket", bucket):
            try:
                # A GET, not HEAD: its error body tells a missing bucket from bad credentials.
                status = self.client.get_bucket_versioning(Bucket=bucket).get("Status")
            except ClientError as exc:
                if _code(exc) == "NoSuchBucket":
                    return None
                if _code(exc) in DENIED_CODES:
                    raise AccessDenied(
                        f"Access denied: these credentials may not read the settings of bucket "
                        f"{bucket} ({_code(exc)}): the name belongs to another account, or "
                        "they lack permission."
                    ) from exc
                raise
            return BucketConfig(
                versioning=status == "Enabled",
                cors_rules=self._get_cors(bucket),
                labels=self._get_tags(bucket) if labels else {},
            )

    def _get_cors(self, bucket: str) -> list[CorsRule]:
        try:
            rules = self.client.get_bucket_cors(Bucket=bucket).get("CORSRules", [])
        except ClientError as exc:
            if _code(exc) == "NoSuchCORSConfiguration":
                return []
            raise
        return [
            CorsRule(
                origins=tuple(r.get("AllowedOrigins", ())),
                methods=tuple(r.get("AllowedMethods", ())),
                headers=tuple(r.get("AllowedHeaders", ())),
                expose_headers=tuple(r.get("ExposeHeaders", ())),
                max_age=r.get("MaxAgeSeconds"),
                rule_id=r.get("ID"),
            )
            for r in rules
        ]

    def _get_tags(self, bucket: str) -> dict[str, str]:
        try:
            tags = self.client.get_bucket_tagging(Bucket=bucket).get("TagSet", [])
        except ClientError as exc:
            if _code(exc) in ("NoSuchTagSet", "NoSuchTagSetError"):
                return {}
            raise
        return {t["Key"]: t["Value"] for t in tags}

    def _create_bucket(self, bucket: str) -> None:
        params: dict = {"Bucket": bucket}
        region = self.settings.region
        if region and region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        with self._translated("create bucket", bucket):
            try:
                self.client.create_bucket(**params)
            except ClientError as exc:
                if _code(exc) != "BucketAlreadyOwnedByYou":
                    raise

    def _update_bucket(self, bucket: str, update: BucketUpdate) -> None:
        with self._translated("update the settings of bucket", bucket):
            if update.versioning:
                self.client.put_bucket_versioning(
                    Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
                )
            if update.cors_rules is not None:
                rules = [_native_cors(rule) for rule in update.cors_rules]
                self.client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
            if update.labels is not None:
                tags = [{"Key": k, "Value": v} for k, v in sorted(update.labels.items())]
                self.client.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})

    # -- objects ----------------------------------------------------------------------------

    def _sse_params(self) -> dict[str, str]:
        if not self.settings.kms_key_id:
            return {}
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.settings.kms_key_id}

    def put_bytes(self, bucket, key, data, *, content_type=None):
        params = {"Bucket": bucket, "Key": key, "Body": data, **self._sse_params()}
        if content_type:
            params["ContentType"] = content_type
        with self._translated("write", f"{bucket}/{key}"):
            version = self.client.put_object(**params).get("VersionId")
        return version if version and version != "null" else None

    def get_bytes(self, bucket, key):
        with self._translated("read", f"{bucket}/{key}"):
            return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()

    def delete_object(self, bucket, key, *, version_id=None):
        params = {"Bucket": bucket, "Key": key}
        if version_id:
            params["VersionId"] = version_id
        with self._translated("delete", f"{bucket}/{key}"):
            self.client.delete_object(**params)

    def stat_object(self, bucket, key):
        with self._translated("read", f"{bucket}/{key}"):
            try:
                head = self.client.head_object(Bucket=bucket, Key=key)
            except ClientError as exc:
                if _status(exc) == 404:
                    return None
                raise
        version = head.get("VersionId")
        return ObjectInfo(
            key=key,
            size=head["ContentLength"],
            etag=head["ETag"].strip('"'),
            version_id=version if version != "null" else None,
            last_modified=head.get("LastModified"),
        )

    def presign_get(self, bucket, key, expires_in=3600, *, filename=None):
        delivery = delivery_for(filename or key)
        params = {
            "Bucket": bucket,
            "Key": key,
            "ResponseContentType": delivery.content_type,
            "ResponseContentDisposition": delivery.disposition,
        }
        with self._translated("sign a download URL for", f"{bucket}/{key}"):
            return self._presign_client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in
            )

    def presign_put(self, bucket, key, expires_in=86400, content_length=None):
        params = {"Bucket": bucket, "Key": key, **self._sse_params()}
        headers = {}
        if content_length is not None:
            params["ContentLength"] = content_length
            headers["Content-Length"] = str(content_length)
        if self.settings.kms_key_id:
            headers["x-amz-server-side-encryption"] = "aws:kms"
            headers["x-amz-server-side-encryption-aws-kms-key-id"] = self.settings.kms_key_id
        with self._translated("sign an upload URL for", f"{bucket}/{key}"):
            url = self._presign_client.generate_presigned_url(
                "put_object", Params=params, ExpiresIn=expires_in
            )
        return PresignedUpload(url=url, headers=headers, expires_in=expires_in)

    # -- multipart uploads ------------------------------------------------------------------

    supports_multipart = True

    def start_multipart(self, bucket, key):
        with self._translated("start a multipart upload to", f"{bucket}/{key}"):
            created = self.client.create_multipart_upload(
                Bucket=bucket, Key=key, **self._sse_params()
            )
        return created["UploadId"]

    def presign_part(self, bucket, key, upload_id, part_number, expires_in=86400):
        params = {"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": part_number}
        with self._translated("sign a part upload URL for", f"{bucket}/{key}"):
            return self._presign_client.generate_presigned_url(
                "upload_part", Params=params, ExpiresIn=expires_in
            )

    def complete_multipart(self, bucket, key, upload_id, parts):
        listed = [{"PartNumber": n, "ETag": etag} for n, etag in sorted(parts)]
        with self._translated("complete the multipart upload to", f"{bucket}/{key}"):
            try:
                self.client.complete_multipart_upload(
                    Bucket=bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": listed},
                )
            except ClientError as exc:
                if _code(exc) in (
                    "NoSuchUpload",
                    "InvalidPart",
                    "InvalidPartOrder",
                    "EntityTooSmall",
                    "MalformedXML",
                ):
                    raise InvalidMultipart(
                        f"The multipart upload to {key} cannot complete ({_code(exc)})."
                    ) from exc
                raise

    def abort_multipart(self, bucket, key, upload_id):
        with self._translated("abort the multipart upload to", f"{bucket}/{key}"):
            try:
                self.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            except ClientError as exc:
                if _code(exc) != "NoSuchUpload":
                    raise

    # -- verified objects -------------------------------------------------------------------

    @contextmanager
    def _pinned(self, bucket: str, key: str) -> Iterator[None]:
        """A pinned version that is gone or was overwritten is ObjectChanged."""
        try:
            yield
        except ClientError as exc:
            if _code(exc) in ("NoSuchVersion", "NoSuchKey", "404"):
                raise ObjectChanged(f"{bucket}/{key} changed while it was being checked.") from exc
            raise

    def read_into(self, bucket, key, sink, *, pin=None):
        params = {"Bucket": bucket, "Key": key}
        if pin is not None and pin.version_id:
            params["VersionId"] = pin.version_id
        pinned = self._pinned(bucket, key) if pin is not None else nullcontext()
        with self._translated("read", f"{bucket}/{key}"), pinned:
            body = self.client.get_object(**params)["Body"]
            for chunk in body.iter_chunks(READ_CHUNK):
                sink.write(chunk)

    def _copy_object(self, bucket, source, target, pin=None):
        copy_source = {"Bucket": bucket, "Key": source}
        if pin is not None and pin.version_id:
            copy_source["VersionId"] = pin.version_id
        with self._translated("copy", f"{bucket}/{source}"), self._pinned(bucket, source):
            self.client.copy_object(
                Bucket=bucket, Key=target, CopySource=copy_source, **self._sse_params()
            )

    # -- buckets ----------------------------------------------------------------------------

    def ping(self):
        with self._translated("list buckets at", self._where):
            try:
                self.client.list_buckets()
            except ClientError as exc:
                if _code(exc) in DENIED_CODES:
                    return  # reachable and the key is known; listing is just not allowed
                raise

    def bucket_usage(self, bucket):
        total = 0
        with self._translated("list", bucket):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                total += sum(obj["Size"] for obj in page.get("Contents", []))
        return total

    def delete_bucket(self, bucket, *, purge=True):
        with self._translated("delete bucket", bucket):
            try:
                if purge:
                    self._purge(bucket)
                self.client.delete_bucket(Bucket=bucket)
            except ClientError as exc:
                if _code(exc) == "NoSuchBucket":
                    return False
                if _code(exc) == "BucketNotEmpty":
                    raise BucketNotEmpty(f"Bucket {bucket} still holds objects.") from exc
                raise
        return True

    def _purge(self, bucket: str) -> None:
        pages = self.client.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
            batch = [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in entries]
            for start in range(0, len(batch), DELETE_BATCH):
                chunk = batch[start : start + DELETE_BATCH]
                result = self.client.delete_objects(
                    Bucket=bucket, Delete={"Objects": chunk, "Quiet": True}
                )
                if result.get("Errors"):
                    first = result["Errors"][0]
                    raise StorageError(
                        f"Could not purge bucket {bucket}: {first.get('Key')}: "
                        f"{re.sub(r'[^A-Za-z0-9.]', '', str(first.get('Code')))[:64]}"
                    )
