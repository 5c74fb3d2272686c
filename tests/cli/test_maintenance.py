"""``outpost maintenance purge-teams``: after the retention period a deleted team's internal
bucket is emptied (every version) and removed and the team is deleted; a team's own bucket is
never touched; a storage failure keeps the team for the next run and fails the command."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from server.cli import main
from server.extensions import db
from server.models import AuditEvent, Membership, Team
from server.services import licensing, system_settings
from tests.factories import bearer, make_key, make_user
from tests.fixtures.ports import free_port

LATER = datetime.now(UTC) + timedelta(days=31)  # past the default 30-day retention


def storage_settings(endpoint: str) -> dict:
    return {
        "storage_provider": "s3",
        "storage_endpoint": endpoint,
        "storage_access_key": "testing",
        "storage_secret_key": "testing",
        "storage_bucket_prefix": "purge-test",
    }


def boto(s3_server):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=s3_server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def buckets(s3) -> set[str]:
    return {b["Name"] for b in s3.list_buckets()["Buckets"]}


def slug() -> str:
    return f"gone-{uuid.uuid4().hex[:10]}"


def purge(app, *args):
    return app.test_cli_runner().invoke(main, ["maintenance", "purge-teams", *args])


def delete_team(client, key, name):
    response = client.delete(f"/api/v1/teams/{name}", json={"confirm": name}, headers=bearer(key))
    assert response.status_code == 200, response.json


def purge_events(result=None):
    query = db.select(AuditEvent).filter_by(action="team:purge")
    if result:
        query = query.filter_by(result=result)
    return db.session.scalars(query).all()


@pytest.fixture
def s3_app(make_app, s3_server, issue_license):
    app = make_app(**storage_settings(s3_server.endpoint))
    with app.app_context():
        licensing.install_license(issue_license())
        app.admin_key = make_key(make_user("root", system_admin=True, password=None))
        yield app


def make_internal_team(app, s3) -> tuple[str, str]:
    """A team on the instance storage with a few object versions and a delete marker."""
    name = slug()
    response = app.test_client().post(
        "/api/v1/teams", json={"name": name}, headers=bearer(app.admin_key)
    )
    assert response.status_code == 201, response.json
    bucket = response.json["storage"]["bucket"]
    for body in (b"v1", b"v2"):
        s3.put_object(Bucket=bucket, Key="runs/r1/model.bin", Body=body)
    s3.put_object(Bucket=bucket, Key="runs/r1/old.txt", Body=b"old")
    s3.delete_object(Bucket=bucket, Key="runs/r1/old.txt")
    return name, bucket


def make_byob_team(app, s3_server, s3) -> tuple[str, str]:
    bucket = f"customer-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="data/keep.bin", Body=b"the customer's")
    system_settings.update_settings({"byob_endpoint_allowlist": [s3_server.endpoint[7:]]})
    name = slug()
    storage = {
        "provider": "s3",
        "bucket": bucket,
        "endpoint": s3_server.endpoint,
        "credentials": {"access_key": "testing", "secret_key": "testing"},
    }
    response = app.test_client().post(
        "/api/v1/teams", json={"name": name, "storage": storage}, headers=bearer(app.admin_key)
    )
    assert response.status_code == 201, response.json
    return name, bucket


def test_purge_removes_internal_buckets_and_never_touches_a_teams_own(s3_app, s3_server):
    s3, client = boto(s3_server), s3_app.test_client()
    internal, internal_bucket = make_internal_team(s3_app, s3)
    byob, byob_bucket = make_byob_team(s3_app, s3_server, s3)
    for name in (internal, byob):
        delete_team(client, s3_app.admin_key, name)

    early = purge(s3_app)
    assert early.exit_code == 0 and early.output.strip() == "no team is due for purging"
    assert internal_bucket in buckets(s3)

    s3_app.config["OUTPOST_CLOCK"] = lambda: LATER
    result = purge(s3_app, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"purged": [internal, byob], "failed": {}}

    assert internal_bucket not in buckets(s3)
    assert s3.get_object(Bucket=byob_bucket, Key="data/keep.bin")["Body"].read() == (
        b"the customer's"
    )
    assert db.session.scalars(db.select(Team.slug)).all() == []
    assert db.session.query(Membership).count() == 0
    details = {e.target_name: e.details for e in purge_events("success")}
    assert details[internal] == {
        "storage": "internal",
        "bucket": internal_bucket,
        "bucket_removed": True,
    }
    assert details[byob] == {"storage": "byob", "bucket": byob_bucket, "bucket_removed": False}
    again = purge(s3_app)
    assert again.exit_code == 0 and "no team is due" in again.output


def test_dry_run_lists_due_teams_and_purges_nothing(s3_app, s3_server):
    s3 = boto(s3_server)
    name, bucket = make_internal_team(s3_app, s3)
    delete_team(s3_app.test_client(), s3_app.admin_key, name)
    s3_app.config["OUTPOST_CLOCK"] = lambda: LATER
    result = purge(s3_app, "--dry-run")
    assert result.exit_code == 0 and result.output.strip() == f"would purge team {name}"
    assert bucket in buckets(s3)
    assert db.session.scalar(db.select(Team.state).where(Team.slug == name)) == "deleted"


def test_storage_down_keeps_the_team_and_fails_the_command(s3_app, s3_server, make_app):
    s3 = boto(s3_server)
    name, bucket = make_internal_team(s3_app, s3)
    delete_team(s3_app.test_client(), s3_app.admin_key, name)
    closed = f"http://127.0.0.1:{free_port()}"
    down = make_app(**storage_settings(closed))  # the same database, storage unreachable
    down.config["OUTPOST_CLOCK"] = lambda: LATER
    with down.app_context():
        result = purge(down)
    assert result.exit_code == 1
    assert f"Error: team {name} was kept for the next run: its storage could not be purged: " in (
        result.stderr
    )
    assert closed in result.stderr
    db.session.expire_all()
    assert db.session.scalar(db.select(Team.state).where(Team.slug == name)) == "deleted"
    (failure,) = purge_events("failure")
    assert failure.target_name == name and failure.details["error"] == "storage_unavailable"
    assert bucket in buckets(s3)

    s3_app.config["OUTPOST_CLOCK"] = lambda: LATER  # storage is back: the next run purges
    retry = purge(s3_app)
    assert retry.exit_code == 0 and retry.output.strip() == f"purged team {name}"
    assert bucket not in buckets(s3)
