"""Object storage for Outpost: one interface, S3/MinIO, GCS and filesystem providers.

No Flask here: the server builds settings (``settings_from_env``), gets a provider
(``get_provider``) and calls it from services, the CLI and the ``/storage/fs/<token>`` route.
Client libraries (boto3, google-cloud-storage) are imported only by the provider modules.
"""

from .base import StorageProvider, team_labels
from .digests import Digest, DigestCheck, DigestMismatch, InvalidDigest, check_chunks
from .endpoints import (
    check_connection_allowed,
    check_endpoint_allowed,
    default_endpoint,
    validate_allowlist,
)
from .errors import (
    AccessDenied,
    BucketNotEmpty,
    BucketNotFound,
    BucketTaken,
    EndpointNotAllowed,
    IncompleteUpload,
    InvalidBucketName,
    InvalidCredentials,
    InvalidMultipart,
    InvalidObjectKey,
    ObjectChanged,
    ObjectNotFound,
    ProbeFailed,
    SignedUrlExpired,
    SignedUrlInvalid,
    StorageConfigError,
    StorageError,
    StorageTimeout,
    StorageUnavailable,
    TeamsFileError,
    UploadTooLarge,
)
from .factory import get_provider
from .naming import bucket_name_for_team, validate_bucket_name, validate_bucket_prefix
from .provisioning import (
    ProvisionReport,
    TeamSpec,
    load_teams_file,
    parse_teams,
    provision_team_bucket,
    provision_team_buckets,
    wait_until_ready,
)
from .results import ObjectInfo, PresignedUpload, ProbeReport, ProvisionResult
from .settings import StorageSettings, connector_settings, settings_from_env

__all__ = [
    "AccessDenied",
    "BucketNotEmpty",
    "BucketNotFound",
    "BucketTaken",
    "Digest",
    "DigestCheck",
    "DigestMismatch",
    "EndpointNotAllowed",
    "IncompleteUpload",
    "InvalidBucketName",
    "InvalidCredentials",
    "InvalidDigest",
    "InvalidMultipart",
    "InvalidObjectKey",
    "ObjectChanged",
    "ObjectInfo",
    "ObjectNotFound",
    "PresignedUpload",
    "ProbeFailed",
    "ProbeReport",
    "ProvisionReport",
    "ProvisionResult",
    "SignedUrlExpired",
    "SignedUrlInvalid",
    "StorageConfigError",
    "StorageError",
    "StorageProvider",
    "StorageSettings",
    "StorageTimeout",
    "StorageUnavailable",
    "TeamSpec",
    "TeamsFileError",
    "UploadTooLarge",
    "bucket_name_for_team",
    "check_connection_allowed",
    "check_chunks",
    "check_endpoint_allowed",
    "connector_settings",
    "default_endpoint",
    "get_provider",
    "load_teams_file",
    "parse_teams",
    "provision_team_bucket",
    "provision_team_buckets",
    "settings_from_env",
    "team_labels",
    "validate_allowlist",
    "validate_bucket_name",
    "validate_bucket_prefix",
    "wait_until_ready",
]
