"""The embedded filesystem provider, its server-signed URLs served by a real HTTP server.

``fs_route_app`` below is the shape of the Flask route the server mounts at /storage/fs/<token>.
"""

import threading

import pytest
import requests
from flask import Flask, request, send_file
from werkzeug.serving import make_server

from server.storage import (
    BucketNotEmpty,
    BucketTaken,
    InvalidObjectKey,
    SignedUrlExpired,
    SignedUrlInvalid,
    StorageError,
    StorageSettings,
    get_provider,
)


def fs_route_app(get_storage) -> Flask:
    app = Flask(__name__)

    @app.route("/storage/fs/<token>", methods=["GET", "HEAD", "PUT"])
    def fs_object(token):
        storage = get_storage()
        try:
            if request.method == "PUT":
                info = storage.receive_upload(token, request.stream, request.content_length)
                return "", 200, {"ETag": f'"{info.etag}"'}
            download = storage.open_download(token, request.method)
        except StorageError as exc:
            return {"error": exc.to_dict()}, exc.http_status
        return send_file(download.path, "application/octet-stream", etag=download.info.etag)

    return app


@pytest.fixture
def served_fs(tmp_path):
    """A filesystem provider whose signed URLs point at a live HTTP server on 127.0.0.1."""
    holder = {}
    server = make_server("127.0.0.1", 0, fs_route_app(lambda: holder["storage"]), threaded=True)
    holder["storage"] = get_provider(
        StorageSettings(
            provider="filesystem",
            root_dir=str(tmp_path / "objects"),
            signing_secret="test-signing-secret",
            public_url=f"http://127.0.0.1:{server.port}",
        )
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder["storage"]
    server.shutdown()
    thread.join()
    server.server_close()


def test_provisioning(fs, bucket, team_slug):
    would = fs.check_team_bucket(bucket, team_slug=team_slug, cors_origins=["http://x"])
    assert would.status == "created"
    assert not (fs.root / bucket).exists()

    created = fs.ensure_team_bucket(bucket, team_slug=team_slug, cors_origins=["http://x"])
    assert created.changes == [
        "create bucket",
        f"set labels outpost-team={team_slug}, managed-by=outpost",
    ]
    assert (fs.root / bucket).is_dir()
    assert fs.ensure_team_bucket(bucket, team_slug=team_slug).status == "unchanged"
    with pytest.raises(BucketTaken):
        fs.ensure_team_bucket(bucket, team_slug="another-team")


def test_presigned_put_then_get_over_http(served_fs, bucket, team_slug):
    served_fs.ensure_team_bucket(bucket, team_slug=team_slug)
    body = bytes(range(256)) * 4096  # 1 MiB
    upload = served_fs.presign_put(bucket, "runs/1/data.bin", 600, content_length=len(body))
    put = requests.put(upload.url, data=body, headers=upload.headers, timeout=10)
    assert put.status_code == 200

    info = served_fs.stat_object(bucket, "runs/1/data.bin")
    assert put.headers["ETag"] == f'"{info.etag}"' and info.size == len(body)
    url = served_fs.presign_get(bucket, "runs/1/data.bin", 60)
    assert requests.get(url, timeout=10).content == body
    assert requests.head(url, timeout=10).headers["Content-Length"] == str(len(body))


def error_code(response) -> str:
    return response.json()["error"]["code"]


def test_expired_and_forged_urls_are_refused(served_fs, bucket, team_slug):
    served_fs.ensure_team_bucket(bucket, team_slug=team_slug)
    served_fs.put_bytes(bucket, "k", b"data")

    expired = requests.get(served_fs.presign_get(bucket, "k", expires_in=-1), timeout=10)
    assert (expired.status_code, error_code(expired)) == (403, "signed_url_expired")

    forged = served_fs.presign_get(bucket, "k", 60)[:-2] + "xx"
    response = requests.get(forged, timeout=10)
    assert (response.status_code, error_code(response)) == (403, "signed_url_invalid")

    read_url = served_fs.presign_get(bucket, "k", 60)
    response = requests.put(read_url, data=b"overwrite", timeout=10)
    assert (response.status_code, error_code(response)) == (403, "signed_url_invalid")
    assert served_fs.get_bytes(bucket, "k") == b"data"


def test_uploads_are_held_to_the_signed_size(served_fs, bucket, team_slug):
    served_fs.ensure_team_bucket(bucket, team_slug=team_slug)
    upload = served_fs.presign_put(bucket, "small.bin", 60, content_length=5)
    response = requests.put(upload.url, data=b"0123456789", timeout=10)
    assert (response.status_code, error_code(response)) == (413, "upload_too_large")

    chunked = requests.put(upload.url, data=iter([b"012", b"345", b"678"]), timeout=10)
    assert chunked.status_code == 413
    assert served_fs.stat_object(bucket, "small.bin") is None
    assert list((served_fs.root / ".outpost" / "tmp").iterdir()) == []

    assert requests.put(upload.url, data=b"01234", timeout=10).status_code == 200
    short = requests.put(upload.url, data=b"012", timeout=10)  # signed for exactly 5 bytes
    assert (short.status_code, error_code(short)) == (400, "upload_incomplete")
    assert served_fs.get_bytes(bucket, "small.bin") == b"01234"  # the good upload is kept


def test_token_checks_without_http(fs, bucket):
    token = fs.presign_put(bucket, "a/b", 60).url.rsplit("/", 1)[1]
    assert fs.verify_signed_token(token, "PUT") == (bucket, "a/b")
    with pytest.raises(SignedUrlInvalid):
        fs.verify_signed_token(token, "GET")
    other = get_provider(StorageSettings(root_dir=str(fs.root), signing_secret="other-secret"))
    with pytest.raises(SignedUrlInvalid):
        other.verify_signed_token(token, "PUT")
    old = fs.presign_get(bucket, "a/b", -5).rsplit("/", 1)[1]
    with pytest.raises(SignedUrlExpired):
        fs.verify_signed_token(old, "GET")


@pytest.mark.parametrize("key", ["../escape", "a/../../b", "/abs", "a//b", "a/./b", "", "a\\b"])
def test_keys_cannot_leave_the_bucket(fs, bucket, key):
    with pytest.raises(InvalidObjectKey):
        fs.presign_put(bucket, key, 60)


def test_clashing_keys_are_refused(fs, bucket, team_slug):
    fs.ensure_team_bucket(bucket, team_slug=team_slug)
    fs.put_bytes(bucket, "a", b"file")
    with pytest.raises(InvalidObjectKey):
        fs.put_bytes(bucket, "a/b", b"below a file")


def test_usage_probe_and_purge(fs, bucket, team_slug):
    fs.ping()
    fs.ensure_team_bucket(bucket, team_slug=team_slug)
    fs.put_bytes(bucket, "a.txt", b"12345")
    fs.put_bytes(bucket, "dir/b.txt", b"1")
    assert fs.bucket_usage(bucket) == 6
    assert fs.probe_access(bucket, prefix="p").checks == ["write", "read", "delete"]
    with pytest.raises(BucketNotEmpty):
        fs.delete_bucket(bucket, purge=False)
    assert fs.delete_bucket(bucket) is True
    assert fs.delete_bucket(bucket) is False
    assert not (fs.root / bucket).exists()
