"""What an operator needs in production: SMTP credentials from Secrets, egress per destination,
honest NOTES, CA bundles and annotations for every pod, job deadlines within Helm's timeout."""

from __future__ import annotations

import pytest

from tests.deploy.chart import DATABASE, container, env_of, pod_specs, render

OUTPOST_CONTAINERS = ("server", "migrations", "buckets", "maintenance")
HELM_DEFAULT_TIMEOUT = 300


def egress_rules(out) -> list[dict]:
    return out.get("NetworkPolicy", "op-outpost-egress")["spec"]["egress"]


def ports_of(rule: dict) -> set[int]:
    return {p["port"] for p in rule["ports"]}


def test_smtp_credentials_come_from_the_operators_secret(rendered):
    env = env_of(container(rendered["bundled-minio"], "Deployment", "op-outpost"))
    for var, key in [("OUTPOST_SMTP_USERNAME", "username"), ("OUTPOST_SMTP_PASSWORD", "password")]:
        assert env[var]["valueFrom"]["secretKeyRef"] == {"name": "outpost-smtp", "key": key}
    assert env["OUTPOST_SMTP_HOST"]["value"] == "smtp.example.com"


def test_smtp_credentials_given_as_values_go_to_the_chart_secret(rendered):
    out = rendered["external-s3"]
    env = env_of(container(out, "Deployment", "op-outpost"))
    ref = env["OUTPOST_SMTP_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "op-outpost-credentials", "key": "smtp-password"}
    assert "smtp-password" in out.get("Secret", "op-outpost-credentials")["data"]
    # The jobs have no use for mail credentials.
    assert "OUTPOST_SMTP_PASSWORD" not in env_of(container(out, "Job", "op-outpost-migrations"))


def test_egress_has_one_rule_per_destination_that_every_feature_needs(rendered):
    rules = egress_rules(rendered["bundled-minio"])
    by_ports = [ports_of(rule) for rule in rules]
    assert {53} in by_ports  # DNS (TCP and UDP)
    assert {5432} in by_ports  # the database
    assert {25, 465, 587, 2525} in by_ports  # SMTP, with config.smtp_port
    assert {443} in by_ports  # webhooks (Slack)
    assert {443, 9000} in by_ports  # teams' own buckets, MinIO servers among them
    minio = next(
        r
        for r in rules
        if r.get("to", [{}])[0]
        .get("podSelector", {})
        .get("matchLabels", {})
        .get("app.kubernetes.io/component")
        == "minio"
    )
    assert ports_of(minio) == {9000}
    # With a key file, no pod identity: the metadata server stays closed.
    assert not any("169.254.169.254/32" in str(r.get("to")) for r in rules)


def test_egress_rules_can_be_narrowed_or_closed(rendered, chart):
    rules = egress_rules(rendered["hpa"])
    webhook = next(r for r in rules if r.get("to") == [{"ipBlock": {"cidr": "203.0.113.0/24"}}])
    assert ports_of(webhook) == {443}
    closed = render(
        {**DATABASE, "networkPolicy": {"egress": {"smtp": {"enabled": False}}}}, chart=chart
    )
    assert not any(25 in ports_of(r) for r in egress_rules(closed))


@pytest.mark.parametrize(
    ("storage", "open_"),
    [
        ({"type": "gcs"}, True),  # workload identity
        ({"type": "gcs", "gcs": {"existingSecret": "key"}}, False),
        ({"type": "s3"}, True),  # instance role
        ({"type": "s3", "s3": {"accessKey": "a", "secretKey": "b"}}, False),
    ],
)
def test_the_metadata_server_is_open_when_the_pod_identity_is_used(chart, storage, open_):
    rules = egress_rules(render({**DATABASE, "storage": storage}, chart=chart))
    metadata = [r for r in rules if "169.254.169.254/32" in str(r.get("to"))]
    assert bool(metadata) is open_
    if open_:
        assert ports_of(metadata[0]) == {80, 988}


def test_notes_warn_about_unreachable_presigned_urls_and_skipped_migrations(rendered, chart):
    notes = rendered["defaults"].notes
    assert "which browsers and clients outside the cluster cannot reach" in notes
    assert "http://op-outpost-minio.outpost.svc:9000" in notes
    assert "cannot reach" not in rendered["bundled-minio"].notes  # MinIO has an ingress
    skipped = render({**DATABASE, "migrations": {"enabled": False}}, chart=chart).notes
    assert "Database migrations ran" not in skipped
    assert "no job upgraded the database schema" in skipped


def test_every_outpost_pod_gets_the_extra_env_volumes_and_mounts(rendered):
    out = rendered["hpa"]
    specs = pod_specs(out)
    seen = set()
    for name, spec in specs.items():
        box = spec["containers"][0]
        if box["name"] not in OUTPOST_CONTAINERS:
            continue
        seen.add(box["name"])
        assert {"name": "corp-ca", "configMap": {"name": "corp-ca"}} in spec["volumes"], name
        mount = {"name": "corp-ca", "mountPath": "/etc/ssl/corp", "readOnly": True}
        assert mount in box["volumeMounts"], name
        assert env_of(box)["SSL_CERT_FILE"]["value"] == "/etc/ssl/corp/ca.crt", name
    assert {"server", "migrations", "buckets"} <= seen


def test_job_pods_carry_their_annotations(rendered):
    out = rendered["hpa"]
    for name in ("op-outpost-migrations", "op-outpost-buckets"):
        annotations = out.get("Job", name)["spec"]["template"]["metadata"]["annotations"]
        assert annotations["sidecar.istio.io/inject"] == "false"
    server = out.get("Deployment", "op-outpost")["spec"]["template"]["metadata"]["annotations"]
    assert "sidecar.istio.io/inject" not in server


def test_hook_jobs_end_before_helm_stops_waiting(rendered):
    for obj in rendered["bundled-minio"].all("Job"):
        assert obj["spec"]["activeDeadlineSeconds"] < HELM_DEFAULT_TIMEOUT, obj["metadata"]["name"]
