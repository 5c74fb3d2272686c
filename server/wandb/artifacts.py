"""Artifacts over the W&B protocol (not served yet: every artifact field answers null)."""

from __future__ import annotations

from typing import Any


def project_artifact_fields(project) -> dict[str, Any]:
    return {}


QUERIES: dict[str, Any] = {}
MUTATIONS: dict[str, Any] = {}
