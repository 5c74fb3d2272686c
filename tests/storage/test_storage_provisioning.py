"""Declarative provisioning (the path the CLI, Helm job and Ansible role share)."""

import json

import pytest

from server.storage import (
    BucketNotFound,
    InvalidBucketName,
    StorageUnavailable,
    TeamsFileError,
    TeamSpec,
    bucket_name_for_team,
    get_provider,
    load_teams_file,
    provision_team_buckets,
    wait_until_ready,
)

PREFIX = "outpost-prov"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("teams.yaml", "teams:\n  - name: vision\n    storage: internal\n  - nlp\n"),
        ("teams.yml", "- name: vision\n- name: nlp\n- name: vision\n"),
        ("teams.json", json.dumps({"teams": [{"name": "vision"}, {"name": "nlp"}]})),
        ("teams.json", json.dumps(["vision", {"name": "nlp", "storage": "internal"}])),
    ],
)
def test_teams_file_shapes(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    assert load_teams_file(path) == [TeamSpec("vision"), TeamSpec("nlp")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("teams:\n  - name: vision\n    storage: byob\n", "only 'internal'"),
        ("teams:\n  - storage: internal\n", "non-empty string 'name'"),
        ("teams:\n  - name: vision\n    bucket: x\n", "unknown keys bucket"),
        ("teams: {vision: {}}\n", "expected a list"),
        ("teams: [unclosed\n", "Cannot read"),
    ],
)
def test_bad_teams_files(tmp_path, text, message):
    path = tmp_path / "teams.yaml"
    path.write_text(text)
    with pytest.raises(TeamsFileError, match=message):
        load_teams_file(path)


def test_missing_teams_file(tmp_path):
    with pytest.raises(TeamsFileError, match="Cannot read"):
        load_teams_file(tmp_path / "absent.yaml")


def test_provision_check_then_apply_then_again(s3, team_slug):
    teams = [TeamSpec(team_slug), f"{team_slug}-2"]
    checked = provision_team_buckets(s3, PREFIX, teams, check=True, cors_origins=["http://c"])
    assert checked.changed and checked.check
    assert [t["status"] for t in checked.to_dict()["teams"]] == ["created", "created"]
    bucket = bucket_name_for_team(PREFIX, team_slug)
    assert s3.check_team_bucket(bucket, team_slug=team_slug).status == "created"  # not made

    applied = provision_team_buckets(s3, PREFIX, teams, cors_origins=["http://c"])
    data = applied.to_dict()
    assert data["changed"] is True and data["failed"] is False
    assert data["teams"][0] == {
        "team": team_slug,
        "bucket": bucket_name_for_team(PREFIX, team_slug),
        "status": "created",
        "changes": checked.results[0].changes,
    }

    again = provision_team_buckets(s3, PREFIX, teams, cors_origins=["http://c"])
    assert again.to_dict()["changed"] is False
    assert {t["status"] for t in again.to_dict()["teams"]} == {"unchanged"}


def test_check_mode_creates_nothing(s3, team_slug):
    provision_team_buckets(s3, PREFIX, [team_slug], check=True)
    with pytest.raises(BucketNotFound):
        s3.bucket_usage(bucket_name_for_team(PREFIX, team_slug))


def test_one_failing_team_does_not_stop_the_others(fs, team_slug):
    fs.ensure_team_bucket(bucket_name_for_team(PREFIX, "taken"), team_slug="someone-else")
    report = provision_team_buckets(fs, PREFIX, ["taken", team_slug])
    first, second = report.to_dict()["teams"]
    assert first["status"] == "failed"
    assert first["error"]["code"] == "storage_bucket_taken"
    assert second["status"] == "created"
    assert report.failed and report.changed


def test_bad_prefix_is_refused_before_any_work(fs):
    with pytest.raises(InvalidBucketName):
        provision_team_buckets(fs, "Bad_Prefix", ["a"])


def test_unreachable_storage_stops_the_run(s3_server, closed_port_endpoint):
    provider = get_provider(s3_server.settings(endpoint=closed_port_endpoint))
    with pytest.raises(StorageUnavailable):
        provision_team_buckets(provider, PREFIX, ["a", "b"])


class FlakyStorage:
    """Unavailable for the first ``failures`` pings."""

    def __init__(self, failures):
        self.failures = failures
        self.pings = 0

    def ping(self):
        self.pings += 1
        if self.pings <= self.failures:
            raise StorageUnavailable("starting up")


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_until_ready_backs_off():
    clock = FakeClock()
    waited = wait_until_ready(FlakyStorage(4), 60, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == [0.1, 0.2, 0.4, 0.8]
    assert waited == pytest.approx(1.5)


def test_wait_until_ready_gives_up_at_the_deadline():
    clock = FakeClock()
    with pytest.raises(StorageUnavailable, match="not ready within 10 s: starting up"):
        wait_until_ready(FlakyStorage(1000), 10, sleep=clock.sleep, clock=clock)
    assert sum(clock.sleeps) == pytest.approx(10)
    assert max(clock.sleeps) <= 5


def test_wait_until_ready_on_real_servers(s3, gcs, s3_server, closed_port_endpoint):
    slept: list[float] = []
    wait_until_ready(s3, 5, sleep=slept.append)
    wait_until_ready(gcs, 5, sleep=slept.append)
    assert slept == []  # both answered the first ping: no waiting
    down = get_provider(s3_server.settings(endpoint=closed_port_endpoint))
    with pytest.raises(StorageUnavailable, match="not ready within 0.5 s"):
        wait_until_ready(down, 0.5)
