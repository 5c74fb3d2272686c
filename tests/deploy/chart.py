"""Render the Outpost Helm chart with the real Helm engine (helm-python-sdk) and look at the
objects it makes. No cluster is involved: ``lookup`` returns nothing, as in ``helm template``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import helm_python as helm
import yaml

CHART_DIR = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "outpost"
RELEASE = "op"
NAMESPACE = "outpost"
FULLNAME = "op-outpost"

# The one thing the chart cannot default: where PostgreSQL is.
DATABASE = {"database": {"existingSecret": "outpost-db"}}

# Value sets an operator would use; every one must render, lint and validate.
VALUE_SETS: dict[str, dict] = {
    "defaults": DATABASE,
    "bundled-minio": {
        **DATABASE,
        "minio": {
            "auth": {"existingSecret": "minio-root"},
            "persistence": {"size": "200Gi", "storageClass": "fast-ssd"},
            "ingress": {
                "enabled": True,
                "className": "nginx",
                "host": "s3.outpost.example.com",
                "tls": {"enabled": True, "secretName": "s3-tls"},
            },
        },
        "teams": [{"name": "vision", "storage": "internal"}, {"name": "nlp"}],
        "admin": {"existingSecret": "outpost-admin"},
        "smtp": {"existingSecret": "outpost-smtp"},
        "config": {"smtp_host": "smtp.example.com", "smtp_port": 2525},
    },
    "external-s3": {
        "database": {"host": "db.internal", "password": "p@ss word/1", "sslmode": "require"},
        "storage": {
            "type": "s3",
            "bucketPrefix": "acme",
            "s3": {
                "endpoint": "https://s3.eu-central-1.amazonaws.com",
                "region": "eu-central-1",
                "accessKey": "AKIAEXAMPLE",
                "secretKey": "example-secret",
            },
        },
        "teams": [{"name": "vision"}],
        "smtp": {"username": "mailer", "password": "smtp-pass-value"},
        "rateLimit": {"existingSecret": "outpost-redis", "existingSecretKey": "url"},
        "ingress": {
            "enabled": True,
            "className": "nginx",
            "host": "outpost.example.com",
            "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
            "tls": {"enabled": True, "secretName": "outpost-tls"},
        },
    },
    "gcs": {
        **DATABASE,
        "storage": {
            "type": "gcs",
            "gcs": {"existingSecret": "gcs-key", "key": "sa.json", "location": "EU"},
        },
        "serviceAccount": {
            "annotations": {"iam.gke.io/gcp-service-account": "outpost@p.iam.gserviceaccount.com"}
        },
        "trustedProxies": 2,
        "rateLimit": {"storageUri": "redis://redis.cache.svc:6379/0"},
        "teams": [{"name": "vision"}],
    },
    "license-secret": {
        **DATABASE,
        "license": {"existingSecret": "outpost-license", "key": "outpost.license"},
        "secrets": {"existingSecret": "outpost-keys"},
    },
    "hpa": {
        **DATABASE,
        "autoscaling": {
            "enabled": True,
            "minReplicas": 3,
            "maxReplicas": 12,
            "targetMemoryUtilizationPercentage": 80,
        },
        "extraEnv": [{"name": "SSL_CERT_FILE", "value": "/etc/ssl/corp/ca.crt"}],
        "extraVolumes": [{"name": "corp-ca", "configMap": {"name": "corp-ca"}}],
        "extraVolumeMounts": [{"name": "corp-ca", "mountPath": "/etc/ssl/corp", "readOnly": True}],
        "jobPodAnnotations": {"sidecar.istio.io/inject": "false"},
        "rateLimit": {"redis": {"enabled": True}},
        "metrics": {
            "enabled": True,
            "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
            "scrapeFrom": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                    }
                }
            ],
        },
        "maintenance": {"purgeTeams": {"enabled": False}, "timeZone": "Europe/Berlin"},
        "teams": [{"name": "vision"}],
        "networkPolicy": {
            "egress": {"webhooks": {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}},
            "ingressFrom": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}
                    }
                }
            ],
        },
    },
}


@dataclass
class Rendered:
    """The objects of one rendering, by kind and name, plus the template texts."""

    files: dict[str, str]
    objects: list[dict]

    def all(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict:
        found = [o for o in self.all(kind) if o["metadata"]["name"] == name]
        have = [(o["kind"], o["metadata"]["name"]) for o in self.objects]
        assert found, f"no {kind} {name}; the chart made {have}"
        return found[0]

    def has(self, kind: str, name: str) -> bool:
        return any(o["metadata"]["name"] == name for o in self.all(kind))

    @property
    def notes(self) -> str:
        return next(text for path, text in self.files.items() if path.endswith("NOTES.txt"))


def load_chart() -> helm.Chart:
    return helm.Chart.load(CHART_DIR)


def render(values: dict, *, chart: helm.Chart | None = None) -> Rendered:
    """Render like ``helm template op deploy/helm/outpost -n outpost -f values``."""
    chart = chart or load_chart()
    files = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    objects = []
    for path, text in files.items():
        if not path.endswith(".yaml"):
            continue
        objects += [doc for doc in yaml.safe_load_all(text) if doc]
    return Rendered(files, objects)


def pod_specs(rendered: Rendered) -> dict[str, dict]:
    """Every pod spec the chart makes: workloads, jobs and the test pod, by object name."""
    specs = {}
    for obj in rendered.objects:
        if obj["kind"] in ("Deployment", "StatefulSet", "Job"):
            specs[obj["metadata"]["name"]] = obj["spec"]["template"]["spec"]
        elif obj["kind"] == "CronJob":
            specs[obj["metadata"]["name"]] = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        elif obj["kind"] == "Pod":
            specs[obj["metadata"]["name"]] = obj["spec"]
    return specs


def env_of(container: dict) -> dict[str, dict]:
    return {item["name"]: item for item in container.get("env", [])}


def container(rendered: Rendered, kind: str, name: str) -> dict:
    return pod_specs(rendered)[rendered.get(kind, name)["metadata"]["name"]]["containers"][0]
