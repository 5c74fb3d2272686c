"""Client addresses behind the ingress and one rate-limit store for every pod and worker."""

from __future__ import annotations

from tests.deploy.chart import container, env_of


def server_env(out) -> list[dict]:
    return container(out, "Deployment", "op-outpost")["env"]


def value(out, var: str) -> str:
    return env_of(container(out, "Deployment", "op-outpost"))[var].get("value")


def test_trusted_proxy_hops_follow_the_ingress_or_the_value(rendered):
    assert value(rendered["defaults"], "OUTPOST_TRUSTED_PROXIES") == "0"
    assert value(rendered["external-s3"], "OUTPOST_TRUSTED_PROXIES") == "1"  # its ingress
    assert value(rendered["gcs"], "OUTPOST_TRUSTED_PROXIES") == "2"  # set by the operator


def test_without_a_store_the_counters_stay_per_process(rendered):
    assert "OUTPOST_RATELIMIT_STORAGE_URI" not in env_of(
        container(rendered["defaults"], "Deployment", "op-outpost")
    )


def test_an_external_redis_url_comes_from_the_value_or_a_secret(rendered):
    assert (
        value(rendered["gcs"], "OUTPOST_RATELIMIT_STORAGE_URI") == "redis://redis.cache.svc:6379/0"
    )
    env = env_of(container(rendered["external-s3"], "Deployment", "op-outpost"))
    ref = env["OUTPOST_RATELIMIT_STORAGE_URI"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "outpost-redis", "key": "url"}
    egress = rendered["external-s3"].get("NetworkPolicy", "op-outpost-egress")["spec"]["egress"]
    assert {"ports": [{"port": 6379, "protocol": "TCP"}]} in egress


def test_the_bundled_redis_has_a_generated_password_and_admits_only_the_server(rendered):
    out = rendered["hpa"]
    names = [item["name"] for item in server_env(out)]
    # Kubernetes expands $(VAR) only from variables defined earlier in the list.
    assert names.index("RATELIMIT_REDIS_PASSWORD") < names.index("OUTPOST_RATELIMIT_STORAGE_URI")
    uri = value(out, "OUTPOST_RATELIMIT_STORAGE_URI")
    assert uri == "redis://:$(RATELIMIT_REDIS_PASSWORD)@op-outpost-redis:6379/0"
    assert "redis-password" in out.get("Secret", "op-outpost-credentials")["data"]
    redis = container(out, "Deployment", "op-outpost-redis")
    assert redis["args"][:2] == ["--requirepass", "$(REDIS_PASSWORD)"]
    assert redis["image"].startswith("docker.io/valkey/valkey:")
    policy = out.get("NetworkPolicy", "op-outpost-redis")["spec"]
    peers = policy["ingress"][0]["from"]
    assert peers[0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "server"
    egress = out.get("NetworkPolicy", "op-outpost-egress")["spec"]["egress"]
    to_redis = [r for r in egress if "redis" in str(r.get("to"))]
    assert to_redis and to_redis[0]["ports"] == [{"port": 6379, "protocol": "TCP"}]
