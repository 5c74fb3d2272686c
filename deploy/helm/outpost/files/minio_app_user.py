"""Give Outpost its own MinIO user, limited to its buckets, instead of the root credentials.

Run with the root credentials next to the MinIO server (a sidecar in the chart, a task of the
Ansible role), with the Python of the Outpost image or virtualenv (it has the `minio` SDK).
Idempotent: the policy is replaced, the user (re)created with the given secret, the policy
attached. With --watch it repeats every interval, so a restarted or wiped server heals.

Environment: MINIO_ENDPOINT (host:port), MINIO_SECURE (true/false), MINIO_ROOT_USER,
MINIO_ROOT_PASSWORD, OUTPOST_APP_USER, OUTPOST_APP_PASSWORD, OUTPOST_BUCKET_PREFIX.
"""

from __future__ import annotations

import os
import sys
import time

POLICY_NAME = "outpost-app"


def app_policy(prefix: str) -> dict:
    """Everything on the team buckets `<prefix>-*` (create, versioning, CORS, tags, objects),
    and only listing elsewhere (Outpost checks the storage answers)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:*"],
                "Resource": [f"arn:aws:s3:::{prefix}-*", f"arn:aws:s3:::{prefix}-*/*"],
            },
            {
                "Effect": "Allow",
                "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"],
                "Resource": ["arn:aws:s3:::*"],
            },
        ],
    }


def apply(env: dict[str, str]) -> None:
    from minio import MinioAdmin
    from minio.credentials import StaticProvider

    admin = MinioAdmin(
        endpoint=env["MINIO_ENDPOINT"],
        credentials=StaticProvider(env["MINIO_ROOT_USER"], env["MINIO_ROOT_PASSWORD"]),
        secure=env.get("MINIO_SECURE", "false").lower() == "true",
    )
    user = env["OUTPOST_APP_USER"]
    if user == env["MINIO_ROOT_USER"]:
        raise SystemExit("OUTPOST_APP_USER must not be the root user")
    admin.policy_add(POLICY_NAME, policy=app_policy(env["OUTPOST_BUCKET_PREFIX"]))
    admin.user_add(user, env["OUTPOST_APP_PASSWORD"])
    admin.policy_set(POLICY_NAME, user=user)


def main(argv: list[str]) -> int:
    watch = "--watch" in argv
    interval = 300
    while True:
        try:
            apply(dict(os.environ))
            print(f"MinIO user {os.environ['OUTPOST_APP_USER']!r} has policy {POLICY_NAME}")
            if not watch:
                return 0
        except Exception as exc:  # the server may still be starting: try again
            print(f"MinIO user not set up yet: {exc}", file=sys.stderr)
            if not watch and "--wait" not in argv:
                return 1
            interval = 5
        else:
            interval = 300
        sys.stdout.flush()
        time.sleep(interval)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
