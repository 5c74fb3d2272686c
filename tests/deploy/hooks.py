"""What a Helm hook needs from the cluster when it runs, and what exists at that moment.

Helm creates a release's ordinary objects only after its pre-install hooks have finished, and
runs hooks of one event in order of their weight. A hook's pod can therefore only use objects
that exist before the chart is installed (the operator's own, which the chart does not render)
or that an earlier hook of the same event created. Post-install and test hooks also see the
ordinary objects and the hooks that were kept.
"""

from __future__ import annotations

HOOK = "helm.sh/hook"
WEIGHT = "helm.sh/hook-weight"
DELETE_POLICY = "helm.sh/hook-delete-policy"
BEFORE = ("pre-install", "pre-upgrade")
REFERENCED_KINDS = ("ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim")


def hook_events(obj: dict) -> list[str]:
    value = obj["metadata"].get("annotations", {}).get(HOOK, "")
    return [event.strip() for event in value.split(",") if event.strip()]


def hook_weight(obj: dict) -> int:
    return int(obj["metadata"].get("annotations", {}).get(WEIGHT, "0"))


def kept_after_success(obj: dict) -> bool:
    policy = obj["metadata"].get("annotations", {}).get(DELETE_POLICY, "")
    return "hook-succeeded" not in policy


def pod_spec_of(obj: dict) -> dict | None:
    kind = obj["kind"]
    if kind == "Pod":
        return obj["spec"]
    if kind in ("Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet"):
        return obj["spec"]["template"]["spec"]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def _container_refs(box: dict) -> set[tuple[str, str]]:
    refs = set()
    for item in box.get("env", []):
        source = item.get("valueFrom", {})
        if "secretKeyRef" in source:
            refs.add(("Secret", source["secretKeyRef"]["name"]))
        if "configMapKeyRef" in source:
            refs.add(("ConfigMap", source["configMapKeyRef"]["name"]))
    for item in box.get("envFrom", []):
        if "secretRef" in item:
            refs.add(("Secret", item["secretRef"]["name"]))
        if "configMapRef" in item:
            refs.add(("ConfigMap", item["configMapRef"]["name"]))
    return refs


def _volume_refs(volume: dict) -> set[tuple[str, str]]:
    refs = set()
    if "secret" in volume:
        refs.add(("Secret", volume["secret"]["secretName"]))
    if "configMap" in volume:
        refs.add(("ConfigMap", volume["configMap"]["name"]))
    if "persistentVolumeClaim" in volume:
        refs.add(("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]))
    for source in volume.get("projected", {}).get("sources", []):
        if "secret" in source:
            refs.add(("Secret", source["secret"]["name"]))
        if "configMap" in source:
            refs.add(("ConfigMap", source["configMap"]["name"]))
    return refs


def references(spec: dict) -> set[tuple[str, str]]:
    """(kind, name) of every ServiceAccount, Secret, ConfigMap and PVC a pod spec needs."""
    refs = {("ServiceAccount", spec.get("serviceAccountName") or "default")}
    for box in spec.get("initContainers", []) + spec.get("containers", []):
        refs |= _container_refs(box)
    for volume in spec.get("volumes", []):
        refs |= _volume_refs(volume)
    for item in spec.get("imagePullSecrets", []):
        refs.add(("Secret", item["name"]))
    return refs


def _available(objects: list[dict], event: str, weight: int) -> set[tuple[str, str]]:
    """What the chart has created by the time a hook of ``event`` with ``weight`` runs."""
    made = set()
    for obj in objects:
        key = (obj["kind"], obj["metadata"]["name"])
        events = hook_events(obj)
        if event in events and hook_weight(obj) < weight:
            made.add(key)
        elif event in BEFORE:
            continue  # the release's ordinary objects come after these hooks
        elif not events:
            made.add(key)
        elif set(events) & set(BEFORE) and kept_after_success(obj):
            made.add(key)
    return made


def missing_at_hook_time(objects: list[dict]) -> list[str]:
    """One line per object a hook needs that the chart has not created when the hook runs.

    Objects the chart never renders are the operator's (existing Secrets, accounts) and are
    there before the install.
    """
    rendered = {(o["kind"], o["metadata"]["name"]) for o in objects}
    problems = []
    for obj in objects:
        spec = pod_spec_of(obj)
        if spec is None:
            continue
        for event in hook_events(obj):
            have = _available(objects, event, hook_weight(obj))
            for kind, name in sorted(references(spec)):
                if (kind, name) in rendered and (kind, name) not in have:
                    problems.append(
                        f"{obj['kind']} {obj['metadata']['name']} ({event}, weight "
                        f"{hook_weight(obj)}) needs {kind} {name}, not created before it"
                    )
    return problems
