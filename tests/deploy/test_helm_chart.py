"""The Helm chart renders with the real Helm engine, lints strictly, validates against the
Kubernetes schemas offline, and keeps its promises for every value set an operator would use."""

from __future__ import annotations

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from server.config import ConfigError, load_settings
from tests.deploy.chart import (
    CHART_DIR,
    DATABASE,
    NAMESPACE,
    RELEASE,
    VALUE_SETS,
    container,
    env_of,
    pod_specs,
    render,
)

# Oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schemas shipped.
KUBE_VERSIONS = ["1.25.0", kubernetes_validate.utils.latest_version()]
CREDENTIAL_VARS = {
    "OUTPOST_SECRET_KEY",
    "OUTPOST_ENCRYPTION_KEY",
    "OUTPOST_DATABASE_URL",
    "OUTPOST_STORAGE_ACCESS_KEY",
    "OUTPOST_STORAGE_SECRET_KEY",
    "OUTPOST_ADMIN_EMAIL",
    "OUTPOST_ADMIN_PASSWORD",
    "MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD",
    "OUTPOST_SMTP_USERNAME",
    "OUTPOST_SMTP_PASSWORD",
    "RATELIMIT_REDIS_PASSWORD",
    "REDIS_PASSWORD",
}
REQUIRED_LABELS = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
}
SETS = sorted(VALUE_SETS)
CUSTOM_RESOURCES = {"monitoring.coreos.com/v1"}


@pytest.mark.parametrize("value_set", SETS)
def test_every_manifest_is_valid_kubernetes(rendered, value_set):
    objects = rendered[value_set].objects
    assert len(objects) >= 10
    for obj in objects:
        if obj["apiVersion"] in CUSTOM_RESOURCES:
            continue  # no offline schema: checked by test_helm_metrics.py
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = "/".join(str(p) for p in exc.path)
                pytest.fail(f"{obj['kind']} {obj['metadata']['name']} at {where}: {exc.message}")


@pytest.mark.parametrize("value_set", SETS)
def test_chart_lints_strictly(value_set):
    report = helm.lint(CHART_DIR, VALUE_SETS[value_set], strict=True, namespace=NAMESPACE)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and problems == [], report


@pytest.mark.parametrize("value_set", SETS)
def test_every_object_carries_the_standard_labels(rendered, value_set):
    for obj in rendered[value_set].objects:
        labels = obj["metadata"].get("labels", {})
        assert REQUIRED_LABELS <= set(labels), (obj["kind"], obj["metadata"]["name"])
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert obj["metadata"]["namespace"] == NAMESPACE


@pytest.mark.parametrize("value_set", SETS)
def test_every_pod_is_locked_down(rendered, value_set):
    specs = pod_specs(rendered[value_set])
    assert specs
    for name, spec in specs.items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec["automountServiceAccountToken"] is False, name
        for box in spec["containers"]:
            ctx = box["securityContext"]
            assert ctx["readOnlyRootFilesystem"] is True, name
            assert ctx["allowPrivilegeEscalation"] is False, name
            assert ctx["capabilities"]["drop"] == ["ALL"], name
            assert ctx.get("privileged", False) is False, name
            assert box["resources"]["requests"] and box["resources"]["limits"], name


@pytest.mark.parametrize("value_set", SETS)
def test_credentials_come_only_from_secrets(rendered, value_set):
    out = rendered[value_set]
    for name, spec in pod_specs(out).items():
        for box in spec["containers"]:
            for var, item in env_of(box).items():
                if var in CREDENTIAL_VARS:
                    assert "value" not in item, (name, var)
                    assert item["valueFrom"]["secretKeyRef"]["name"], (name, var)
    plain = yaml.safe_dump([o for o in out.objects if o["kind"] != "Secret"])
    for secret_value in ("p@ss word", "example-secret", "AKIAEXAMPLE", "smtp-pass-value"):
        assert secret_value not in plain


@pytest.mark.parametrize("value_set", SETS)
def test_the_server_accepts_the_rendered_settings(rendered, value_set):
    """The environment of every Outpost pod loads with the server's own settings loader."""
    out = rendered[value_set]
    for name, spec in pod_specs(out).items():
        box = spec["containers"][0]
        if box["name"] not in ("server", "migrations", "buckets", "maintenance"):
            continue
        environ = {}
        for var, item in env_of(box).items():
            # Stand-ins for what the Secrets hold: long enough for production's checks.
            environ[var] = item.get("value", "x" * 64)
        try:
            settings = load_settings(environ=environ)
        except ConfigError as exc:
            pytest.fail(f"{name}: the server refuses the chart's settings: {exc}")
        assert settings.env == "production"
        assert settings.data_dir == "/var/lib/outpost"
        if box["name"] != "migrations":
            wanted = VALUE_SETS[value_set].get("storage", {}).get("type", "minio")
            assert settings.storage_provider == wanted


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"replicaCount": "three"}, "at '/replicaCount': got string, want integer"),
        ({"storage": {"type": "azure"}}, "at '/storage/type': value must be one of"),
        ({"teams": [{"name": "Vision Team"}]}, "at '/teams/0/name'"),
        ({"teams": [{"name": "vision", "storage": "byob"}]}, "at '/teams/0/storage'"),
        ({"teams": [{"name": "vision", "bucket": "x"}]}, "additional properties 'bucket'"),
        ({"databse": {"host": "db"}}, "additional properties 'databse' not allowed"),
        ({"config": {"secret_key": "in-values"}}, "invalid propertyName 'secret_key'"),
        ({"config": {"smtp_password": "in-values"}}, "invalid propertyName 'smtp_password'"),
        ({"config": {"smtp_username": "mailer"}}, "invalid propertyName 'smtp_username'"),
        ({"config": {"slack_token": "x"}}, "invalid propertyName 'slack_token'"),
        ({"config": {"trusted_proxies": 1}}, "invalid propertyName 'trusted_proxies'"),
        ({"ingress": {"enabled": True, "host": ""}}, "at '/ingress/host'"),
        ({"minio": {"ingress": {"enabled": True}}}, "at '/minio/ingress/host'"),
        ({"smtp": {"pasword": "x"}}, "at '/smtp': additional properties 'pasword'"),
        (
            {"networkPolicy": {"egress": {"smtp": {"ports": [0]}}}},
            "at '/networkPolicy/egress/smtp/ports/0'",
        ),
        ({"extraVolumeMounts": [{"name": "ca"}]}, "at '/extraVolumeMounts/0'"),
        ({"jobPodAnnotations": {"a": 1}}, "at '/jobPodAnnotations/a'"),
        ({"trustedProxies": -1}, "at '/trustedProxies'"),
        ({"rateLimit": {"storageUri": "redis://:pw@redis:6379"}}, "at '/rateLimit/storageUri'"),
        ({"workers": 0}, "at '/workers'"),
        ({"url": "outpost.example.com"}, "at '/url'"),
        ({"image": {"repository": "x", "digest": "latest"}}, "at '/image/digest'"),
    ],
)
def test_bad_values_are_refused_by_the_schema(chart, values, message):
    with pytest.raises(helm.HelmValuesError) as caught:
        chart.render({**DATABASE, **values}, name=RELEASE, namespace=NAMESPACE)
    assert "values don't meet the specifications of the schema" in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "set database.existingSecret (a Secret holding the URL) or database.host"),
        ({"database": {"host": "db"}}, "database.password is required with database.host"),
        (
            {**DATABASE, "license": {"existingSecret": "l", "token": "t"}},
            "either license.existingSecret or license.token",
        ),
        (
            {**DATABASE, "storage": {"type": "s3", "s3": {"accessKey": "only-half"}}},
            "set both accessKey and secretKey",
        ),
        (
            {**DATABASE, "ingress": {"enabled": True, "tls": {"enabled": True}}},
            "ingress.tls.secretName is required",
        ),
        (
            {**DATABASE, "autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 3}},
            "autoscaling.minReplicas (5) must not be greater than autoscaling.maxReplicas (3)",
        ),
        (
            {**DATABASE, "smtp": {"existingSecret": "s", "password": "p"}},
            "either smtp.existingSecret or smtp.username/password",
        ),
        (
            {**DATABASE, "rateLimit": {"storageUri": "redis://r", "redis": {"enabled": True}}},
            "set one of rateLimit.storageUri, rateLimit.existingSecret or rateLimit.redis.enabled",
        ),
    ],
)
def test_incomplete_values_fail_with_what_to_set(chart, values, message):
    with pytest.raises(helm.HelmRenderError) as caught:
        chart.render(values, name=RELEASE, namespace=NAMESPACE)
    assert message in str(caught.value)


def test_the_server_container_is_gunicorn_behind_probes(rendered):
    out = rendered["defaults"]
    deployment = out.get("Deployment", "op-outpost")
    assert deployment["spec"]["replicas"] == 2
    server = container(out, "Deployment", "op-outpost")
    assert server["command"] == ["outpost"]
    assert server["args"] == ["serve", "--bind", "0.0.0.0:8080", "--workers", "4", "--no-migrate"]
    assert server["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert server["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert server["readinessProbe"]["httpGet"]["path"] == "/readyz"
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert len(annotations["checksum/secret"]) == 64
    assert len(annotations["checksum/config"]) == 64
    service = out.get("Service", "op-outpost")
    assert service["spec"]["ports"][0] == {
        "name": "http",
        "port": 80,
        "targetPort": "http",
        "protocol": "TCP",
    }
    account = out.get("ServiceAccount", "op-outpost")
    assert account["automountServiceAccountToken"] is False
    assert out.has("PodDisruptionBudget", "op-outpost")
    assert out.has("NetworkPolicy", "op-outpost-server")
    assert not out.all("HorizontalPodAutoscaler") and not out.all("Ingress")


def test_a_settings_change_rolls_the_pods(chart):
    def checksum(values):
        deployment = render(values, chart=chart).get("Deployment", "op-outpost")
        return deployment["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

    assert checksum(DATABASE) == checksum(DATABASE)
    assert checksum(DATABASE) != checksum({**DATABASE, "config": {"log_level": "DEBUG"}})
