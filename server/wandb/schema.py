"""``__type(name:)``: the little introspection older SDKs use to probe what a server offers.

Older clients ask which fields a type has before choosing a query; they get the fields Outpost
answers, and an empty list for types it does not know.
"""

from __future__ import annotations

from typing import Any

RUN_FIELDS = (
    "id name displayName description notes state group jobType tags commit readOnly sweepName "
    "createdAt heartbeatAt updatedAt projectId project user config summaryMetrics systemMetrics "
    "historyLineCount logLineCount eventsLineCount historyTail eventsTail wandbConfig "
    "historyKeys history files exitcode stopped"
).split()
PROJECT_FIELDS = (
    "id internalId name entityName entity readOnly createdAt runCount runs run bucket"
).split()
ARTIFACT_FIELDS = (
    "id artifactSequence artifactType versionIndex description metadata ttlDurationSeconds "
    "ttlIsInherited tags historyStep state size digest commitHash fileCount createdAt "
    "updatedAt aliases currentManifest files"
).split()
SERVER_INFO_FIELDS = ["features"]


def type_info(name: str | None, roots: dict[str, list[str]]) -> dict[str, Any]:
    known = {
        "Run": RUN_FIELDS,
        "Project": PROJECT_FIELDS,
        "Artifact": ARTIFACT_FIELDS,
        "ServerInfo": SERVER_INFO_FIELDS,
        **roots,
    }
    fields = known.get(name or "", [])
    return {
        "__typename": "__Type",
        "name": name,
        "kind": "OBJECT",
        "fields": [{"name": field, "__typename": "__Field"} for field in fields],
        "inputFields": [],
    }
