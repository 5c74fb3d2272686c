"""Provision team buckets from a declarative list: the one code path the console, the CLI
(``outpost storage provision``), the Helm job and the Ansible role all use.

Teams file (YAML, or JSON when the name ends in ``.json``), either a list or ``{"teams": [...]}``::

    teams:
      - name: vision            # team slug
        storage: internal       # optional; "internal" is the only value accepted here
      - nlp                     # a bare slug is short for {"name": "nlp"}

Teams on their own bucket (secure storage connector) need credentials and are created in the
console, so any other ``storage`` value is an error, not a silent skip: a typo must not leave
a team without its bucket. Duplicate names are provisioned once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .base import StorageProvider
from .errors import InvalidCredentials, StorageError, StorageUnavailable, TeamsFileError
from .naming import bucket_name_for_team, validate_bucket_prefix
from .results import ProvisionResult

INTERNAL = "internal"


@dataclass(frozen=True)
class TeamSpec:
    name: str
    storage: str = INTERNAL


@dataclass(frozen=True)
class ProvisionReport:
    """All teams of one provisioning run; ``to_dict()`` is the CLI's ``--json`` output."""

    results: list[ProvisionResult] = field(default_factory=list)
    check: bool = False

    @property
    def changed(self) -> bool:
        return any(result.changed for result in self.results)

    @property
    def failed(self) -> bool:
        return any(result.status == "failed" for result in self.results)

    def to_dict(self) -> dict:
        return {
            "changed": self.changed,
            "check": self.check,
            "failed": self.failed,
            "teams": [result.to_dict() for result in self.results],
        }


def _team_from_item(item: object, where: str) -> TeamSpec:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
        raise TeamsFileError(f"{where}: each team needs a non-empty string 'name'.")
    unknown = set(item) - {"name", "storage"}
    if unknown:
        raise TeamsFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}.")
    storage = item.get("storage", INTERNAL)
    if storage != INTERNAL:
        raise TeamsFileError(
            f"{where}: team {item['name']!r} has storage {storage!r}; only 'internal' buckets "
            "are provisioned from a file (create teams on their own bucket in the console)."
        )
    return TeamSpec(name=item["name"].strip(), storage=INTERNAL)


def parse_teams(data: object, source: str = "teams file") -> list[TeamSpec]:
    """Validate already-parsed data of a teams file. Raises TeamsFileError."""
    if isinstance(data, dict) and set(data) == {"teams"}:
        data = data["teams"]
    if data is None:
        data = []
    if not isinstance(data, list):
        raise TeamsFileError(f"{source}: expected a list of teams or {{'teams': [...]}}.")
    teams: dict[str, TeamSpec] = {}
    for index, item in enumerate(data):
        spec = _team_from_item(item, f"{source}, team #{index + 1}")
        teams.setdefault(spec.name, spec)
    return list(teams.values())


def load_teams_file(path: str | Path) -> list[TeamSpec]:
    """Read a YAML or JSON teams file. Raises TeamsFileError (unreadable, bad syntax or shape)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise TeamsFileError(f"Cannot read teams file {path}: {exc}") from exc
    return parse_teams(data, str(path))


def provision_team_bucket(
    provider: StorageProvider,
    prefix: str,
    team_slug: str,
    *,
    check: bool = False,
    cors_origins: Sequence[str] = (),
) -> ProvisionResult:
    """Ensure (or with ``check`` only inspect) one team's internal bucket.

    Raises what ``StorageProvider.ensure_team_bucket`` raises, and InvalidBucketName.
    """
    bucket = bucket_name_for_team(prefix, team_slug)
    method = provider.check_team_bucket if check else provider.ensure_team_bucket
    return method(bucket, team_slug=team_slug, cors_origins=cors_origins)


def provision_team_buckets(
    provider: StorageProvider,
    prefix: str,
    teams: Iterable[TeamSpec | str],
    *,
    check: bool = False,
    cors_origins: Sequence[str] = (),
) -> ProvisionReport:
    """Provision every team's bucket; a team that fails is reported and the others go on.

    Raises InvalidBucketName for a bad prefix, and StorageUnavailable or InvalidCredentials at
    once, since every other team would fail the same way.
    """
    validate_bucket_prefix(prefix)
    results = []
    for team in teams:
        slug = team if isinstance(team, str) else team.name
        try:
            result = provision_team_bucket(
                provider, prefix, slug, check=check, cors_origins=cors_origins
            )
        except (StorageUnavailable, InvalidCredentials):
            raise
        except StorageError as exc:
            bucket = _bucket_or_blank(prefix, slug)
            result = ProvisionResult(bucket, slug, "failed", [], check, exc.to_dict())
        results.append(result)
    return ProvisionReport(results, check)


def _bucket_or_blank(prefix: str, slug: str) -> str:
    try:
        return bucket_name_for_team(prefix, slug)
    except StorageError:
        return ""


def wait_until_ready(
    provider: StorageProvider,
    timeout_s: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Poll ``provider.ping()`` with exponential backoff until it answers; return seconds waited.

    Only StorageUnavailable is waited out; other errors (bad credentials) are raised at once.
    Raises StorageUnavailable, with the last reason, when ``timeout_s`` runs out.
    """
    start = clock()
    delay = 0.1
    while True:
        try:
            provider.ping()
            return clock() - start
        except StorageUnavailable as exc:
            remaining = start + timeout_s - clock()
            if remaining <= 0:
                raise StorageUnavailable(
                    f"Storage was not ready within {timeout_s:g} s: {exc.message}"
                ) from exc
            sleep(min(delay, remaining))
            delay = min(delay * 2, 5.0)
