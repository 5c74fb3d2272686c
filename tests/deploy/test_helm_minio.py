"""The bundled MinIO-compatible server: a maintained image the operator can pin, and Outpost on
its own user limited to its buckets, never on the root credentials."""

from __future__ import annotations

import importlib.util

import pytest

from tests.deploy.chart import CHART_DIR, DATABASE, container, env_of, pod_specs, render

SCRIPT = CHART_DIR / "files" / "minio_app_user.py"
ROOT_KEYS = {"root-user", "root-password"}


def load_script():
    spec = importlib.util.spec_from_file_location("minio_app_user", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def secret_keys_used(box: dict) -> set[str]:
    return {
        item["valueFrom"]["secretKeyRef"]["key"]
        for item in box.get("env", [])
        if "secretKeyRef" in item.get("valueFrom", {})
    }


@pytest.mark.parametrize("value_set", ["defaults", "bundled-minio"])
def test_no_outpost_container_gets_the_root_credentials(rendered, value_set):
    out = rendered[value_set]
    for name, spec in pod_specs(out).items():
        for box in spec["containers"]:
            if box["name"] in ("minio", "app-user"):
                continue
            assert not secret_keys_used(box) & ROOT_KEYS, (name, box["name"])
    env = env_of(container(out, "Deployment", "op-outpost"))
    assert env["OUTPOST_STORAGE_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["key"] == "app-user"


def test_a_sidecar_gives_outposts_user_a_bucket_scoped_policy(rendered):
    out = rendered["defaults"]
    spec = out.get("StatefulSet", "op-outpost-minio")["spec"]["template"]["spec"]
    sidecar = next(box for box in spec["containers"] if box["name"] == "app-user")
    assert sidecar["command"] == ["python3", "/etc/outpost/minio/minio_app_user.py", "--watch"]
    env = env_of(sidecar)
    assert env["OUTPOST_BUCKET_PREFIX"]["value"] == "outpost"
    assert secret_keys_used(sidecar) == ROOT_KEYS | {"app-user", "app-password"}
    scripts = out.get("ConfigMap", "op-outpost-minio-scripts")["data"]["minio_app_user.py"]
    assert scripts.strip() == SCRIPT.read_text().strip()
    generated = out.get("Secret", "op-outpost-minio")["data"]
    assert {"root-user", "root-password", "app-user", "app-password"} <= set(generated)


def test_the_policy_covers_only_the_team_buckets():
    policy = load_script().app_policy("acme")
    full, listing = policy["Statement"]
    assert full["Resource"] == ["arn:aws:s3:::acme-*", "arn:aws:s3:::acme-*/*"]
    assert full["Action"] == ["s3:*"]
    assert set(listing["Action"]) == {"s3:ListAllMyBuckets", "s3:GetBucketLocation"}


def test_the_script_refuses_to_hand_out_the_root_user():
    env = {
        "MINIO_ENDPOINT": "127.0.0.1:9",
        "MINIO_ROOT_USER": "root",
        "MINIO_ROOT_PASSWORD": "x" * 12,
        "OUTPOST_APP_USER": "root",
        "OUTPOST_APP_PASSWORD": "y" * 12,
        "OUTPOST_BUCKET_PREFIX": "outpost",
    }
    with pytest.raises(SystemExit, match="must not be the root user"):
        load_script().apply(env)


def test_the_image_is_a_maintained_build_and_can_be_pinned(rendered, chart):
    minio = container(rendered["defaults"], "StatefulSet", "op-outpost-minio")
    assert minio["image"].startswith("docker.io/pgsty/minio:RELEASE.")
    digest = "sha256:" + "a" * 64
    values = {
        **DATABASE,
        "minio": {"image": {"repository": "registry.example/minio", "digest": digest}},
    }
    pinned = container(render(values, chart=chart), "StatefulSet", "op-outpost-minio")
    assert pinned["image"] == f"registry.example/minio@{digest}"
