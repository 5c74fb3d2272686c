"""What the chart does for each deployment choice: hooks for migrations and team buckets,
generated credentials that survive upgrades, MinIO, S3, GCS, license, ingress, HPA, helm test."""

from __future__ import annotations

import base64

import yaml
from sqlalchemy.engine import make_url

from server.storage.provisioning import parse_teams
from tests.deploy.chart import (
    CHART_DIR,
    DATABASE,
    VALUE_SETS,
    container,
    env_of,
    render,
)

HOOK = "helm.sh/hook"
DELETE_POLICY = "helm.sh/hook-delete-policy"
WEIGHT = "helm.sh/hook-weight"


def secret_data(obj: dict) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in obj["data"].items()}


def secret_ref(env: dict, var: str) -> tuple[str, str]:
    ref = env[var]["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def test_migrations_run_in_a_hook_before_the_new_version(rendered):
    out = rendered["defaults"]
    job = out.get("Job", "op-outpost-migrations")
    annotations = job["metadata"]["annotations"]
    assert annotations[HOOK] == "pre-install,pre-upgrade"
    # Deleted when it succeeds or is replaced; a failed job stays for its logs.
    assert annotations[DELETE_POLICY] == "before-hook-creation,hook-succeeded"
    # The Secret it reads is itself a hook that Helm creates first (lower weight).
    secret = out.get("Secret", "op-outpost-credentials")
    assert secret["metadata"]["annotations"][HOOK] == "pre-install,pre-upgrade"
    assert int(secret["metadata"]["annotations"][WEIGHT]) < int(annotations[WEIGHT])
    box = container(out, "Job", "op-outpost-migrations")
    assert [box["command"][0], *box["args"]] == ["outpost", "db", "upgrade"]
    env = env_of(box)
    assert secret_ref(env, "OUTPOST_DATABASE_URL") == ("outpost-db", "database-url")
    assert secret_ref(env, "OUTPOST_SECRET_KEY") == ("op-outpost-credentials", "secret-key")
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_migrations_can_be_left_to_the_operator(chart):
    out = render({**DATABASE, "migrations": {"enabled": False}}, chart=chart)
    assert not out.has("Job", "op-outpost-migrations")


def test_bucket_job_provisions_every_listed_team_after_install_and_upgrade(rendered):
    out = rendered["bundled-minio"]
    job = out.get("Job", "op-outpost-buckets")
    annotations = job["metadata"]["annotations"]
    assert annotations[HOOK] == "post-install,post-upgrade"
    assert annotations[DELETE_POLICY] == "before-hook-creation,hook-succeeded"
    box = container(out, "Job", "op-outpost-buckets")
    assert box["command"] == ["outpost"]
    assert box["args"] == [
        "storage",
        "provision",
        "--teams-file",
        "/etc/outpost/teams/teams.yaml",
        "--wait",
        "180",
    ]
    mount = next(m for m in box["volumeMounts"] if m["name"] == "teams")
    assert mount["mountPath"] == "/etc/outpost/teams"
    teams_file = out.get("ConfigMap", "op-outpost-teams")["data"]["teams.yaml"]
    # The server's own teams-file parser reads what the chart wrote.
    teams = parse_teams(yaml.safe_load(teams_file))
    assert [(t.name, t.storage) for t in teams] == [("vision", "internal"), ("nlp", "internal")]
    assert job["spec"]["backoffLimit"] == 2
    assert env_of(box)["OUTPOST_STORAGE_PROVIDER"]["value"] == "minio"


def test_no_bucket_job_without_teams(rendered):
    out = rendered["defaults"]
    assert not out.has("Job", "op-outpost-buckets")
    assert not out.has("ConfigMap", "op-outpost-teams")


def test_generated_keys_are_looked_up_and_kept_on_upgrade(chart, rendered):
    for template in ("secret.yaml", "minio-secret.yaml"):
        text = (CHART_DIR / "templates" / template).read_text()
        assert 'lookup "v1" "Secret" .Release.Namespace $name' in text
    for name in ("op-outpost-credentials", "op-outpost-minio"):
        secret = rendered["defaults"].get("Secret", name)
        assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    keys = secret_data(rendered["defaults"].get("Secret", "op-outpost-credentials"))
    assert len(keys["secret-key"]) == 64 and len(keys["encryption-key"]) == 64
    # Without a cluster nothing is found, so each render generates afresh: no fixed default.
    again = secret_data(render(DATABASE, chart=chart).get("Secret", "op-outpost-credentials"))
    assert again["secret-key"] != keys["secret-key"]
    minio = secret_data(rendered["defaults"].get("Secret", "op-outpost-minio"))
    assert len(minio["root-password"]) == 40


def test_existing_secrets_skip_generation(rendered):
    out = rendered["license-secret"]
    # Keys, database URL and license all come from the operator's Secrets.
    assert not out.has("Secret", "op-outpost-credentials")
    env = env_of(container(out, "Deployment", "op-outpost"))
    assert secret_ref(env, "OUTPOST_SECRET_KEY") == ("outpost-keys", "secret-key")
    assert secret_ref(env, "OUTPOST_ENCRYPTION_KEY") == ("outpost-keys", "encryption-key")
    # With every credential in an existing Secret, the chart makes no Secret at all.
    values = {
        **DATABASE,
        "secrets": {"existingSecret": "outpost-keys"},
        "minio": {"auth": {"existingSecret": "minio-root"}},
    }
    assert not render(values).all("Secret")


def test_license_is_mounted_from_its_secret(rendered):
    out = rendered["license-secret"]
    for kind, name in [("Deployment", "op-outpost"), ("Job", "op-outpost-migrations")]:
        obj = out.get(kind, name)
        spec = obj["spec"]["template"]["spec"]
        volume = next(v for v in spec["volumes"] if v["name"] == "license")
        assert volume["secret"] == {
            "secretName": "outpost-license",
            "items": [{"key": "outpost.license", "path": "license"}],
        }
        box = spec["containers"][0]
        mount = next(m for m in box["volumeMounts"] if m["name"] == "license")
        assert mount == {"name": "license", "mountPath": "/etc/outpost/license", "readOnly": True}
        assert env_of(box)["OUTPOST_LICENSE_FILE"]["value"] == "/etc/outpost/license/license"


def test_bundled_minio_is_a_statefulset_with_a_volume_and_secret_credentials(rendered):
    out = rendered["bundled-minio"]
    minio = out.get("StatefulSet", "op-outpost-minio")
    claim = minio["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["resources"]["requests"]["storage"] == "200Gi"
    assert claim["storageClassName"] == "fast-ssd"
    env = env_of(minio["spec"]["template"]["spec"]["containers"][0])
    assert secret_ref(env, "MINIO_ROOT_USER") == ("minio-root", "root-user")
    assert secret_ref(env, "MINIO_ROOT_PASSWORD") == ("minio-root", "root-password")
    assert not out.has("Secret", "op-outpost-minio")  # the operator's Secret is used
    server = env_of(container(out, "Deployment", "op-outpost"))
    assert server["OUTPOST_STORAGE_ENDPOINT"]["value"] == "https://s3.outpost.example.com"
    # Outpost's own, bucket-scoped user; the root user stays with MinIO.
    assert secret_ref(server, "OUTPOST_STORAGE_ACCESS_KEY") == ("minio-root", "app-user")
    assert out.get("Ingress", "op-outpost-minio")["spec"]["tls"][0]["secretName"] == "s3-tls"
    inside = env_of(container(rendered["defaults"], "Deployment", "op-outpost"))
    assert inside["OUTPOST_STORAGE_ENDPOINT"]["value"] == "http://op-outpost-minio.outpost.svc:9000"


def test_external_s3_keeps_its_keys_and_database_url_in_the_chart_secret(rendered):
    out = rendered["external-s3"]
    assert not out.all("StatefulSet")
    env = env_of(container(out, "Deployment", "op-outpost"))
    assert env["OUTPOST_STORAGE_PROVIDER"]["value"] == "s3"
    assert env["OUTPOST_STORAGE_ENDPOINT"]["value"] == "https://s3.eu-central-1.amazonaws.com"
    assert env["OUTPOST_STORAGE_REGION"]["value"] == "eu-central-1"
    assert env["OUTPOST_STORAGE_BUCKET_PREFIX"]["value"] == "acme"
    secret = secret_data(out.get("Secret", "op-outpost-credentials"))
    assert secret["storage-access-key"] == "AKIAEXAMPLE"
    assert secret["storage-secret-key"] == "example-secret"
    url = make_url(secret["database-url"])
    assert (url.drivername, url.username, url.password) == (
        "postgresql+psycopg",
        "outpost",
        "p@ss word/1",
    )
    assert (url.host, url.port, url.database) == ("db.internal", 5432, "outpost")
    assert url.query == {"sslmode": "require"}
    egress = out.get("NetworkPolicy", "op-outpost-egress")["spec"]["egress"]
    assert {"ports": [{"port": 443, "protocol": "TCP"}]} in egress


def test_gcs_uses_a_mounted_service_account_key(rendered):
    out = rendered["gcs"]
    spec = out.get("Deployment", "op-outpost")["spec"]["template"]["spec"]
    env = env_of(spec["containers"][0])
    assert env["OUTPOST_STORAGE_PROVIDER"]["value"] == "gcs"
    assert env["OUTPOST_STORAGE_REGION"]["value"] == "EU"
    assert env["GOOGLE_APPLICATION_CREDENTIALS"]["value"] == "/etc/outpost/gcs/credentials.json"
    assert "OUTPOST_STORAGE_ACCESS_KEY" not in env
    volume = next(v for v in spec["volumes"] if v["name"] == "gcs-credentials")
    assert volume["secret"]["items"] == [{"key": "sa.json", "path": "credentials.json"}]
    account = out.get("ServiceAccount", "op-outpost")
    assert "iam.gke.io/gcp-service-account" in account["metadata"]["annotations"]
    buckets = env_of(container(out, "Job", "op-outpost-buckets"))
    assert buckets["GOOGLE_APPLICATION_CREDENTIALS"] == env["GOOGLE_APPLICATION_CREDENTIALS"]


def test_ingress_has_class_tls_and_annotations_and_sets_the_public_url(rendered):
    out = rendered["external-s3"]
    ingress = out.get("Ingress", "op-outpost")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [
        {"hosts": ["outpost.example.com"], "secretName": "outpost-tls"}
    ]
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt"}
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "op-outpost", "port": {"name": "http"}}
    env = env_of(container(out, "Deployment", "op-outpost"))
    assert env["OUTPOST_URL"]["value"] == "https://outpost.example.com"


def test_autoscaling_replaces_the_fixed_replica_count(rendered):
    out = rendered["hpa"]
    assert "replicas" not in out.get("Deployment", "op-outpost")["spec"]
    hpa = out.get("HorizontalPodAutoscaler", "op-outpost")["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "op-outpost",
    }
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 12)
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu", "memory"]
    assert out.get("PodDisruptionBudget", "op-outpost")["spec"]["maxUnavailable"] == 1


def test_network_policy_admits_only_the_configured_peers_and_the_test_pod(rendered):
    policy = rendered["hpa"].get("NetworkPolicy", "op-outpost-server")["spec"]
    assert policy["policyTypes"] == ["Ingress"]
    sources = [rule["from"] for rule in policy["ingress"]]
    assert sources[0] == VALUE_SETS["hpa"]["networkPolicy"]["ingressFrom"]
    assert sources[-1][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "test"
    minio = rendered["defaults"].get("NetworkPolicy", "op-outpost-minio")["spec"]
    allowed = minio["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]["values"]
    assert allowed == ["server", "buckets", "maintenance"]


def test_helm_test_pod_checks_health_inside_the_cluster(rendered):
    out = rendered["defaults"]
    pod = out.get("Pod", "op-outpost-test")
    assert pod["metadata"]["annotations"][HOOK] == "test"
    box = pod["spec"]["containers"][0]
    # The server's own image: nothing is pulled from or sent to the internet.
    assert box["image"] == container(out, "Deployment", "op-outpost")["image"]
    assert box["command"][:2] == ["python3", "-c"]
    assert '"/healthz", "/readyz"' in box["command"][2]
    assert box["command"][3] == "http://op-outpost:80"


def test_notes_tell_the_operator_what_happened(rendered):
    notes = rendered["bundled-minio"].notes
    assert "URL: http://op-outpost.outpost.svc:80" in notes
    assert "kubectl -n outpost logs job/op-outpost-buckets" in notes
    assert "Created on first start from the Secret outpost-admin" in notes
    assert "helm test op -n outpost" in notes
    defaults = rendered["defaults"].notes
    assert "generated into the Secret op-outpost-credentials" in defaults
    assert "one-time setup link" in defaults
