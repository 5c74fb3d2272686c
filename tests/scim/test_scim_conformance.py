"""An independent RFC 7643/7644 checker (scim2-tester) against a live server, over every
resource type the server publishes (User, Group, Role)."""

from __future__ import annotations

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from server.scim.resources import SCHEMA_TEAM_ROLES

# Checks that cannot apply to Outpost, each with the reason (also listed in the README).
NOT_APPLICABLE = {
    # A user is always active or deactivated: "active" cannot be left unassigned.
    ("User", "check_remove_attribute", "active"),
    # The checker first adds to the whole extension (a teamRoles entry), then adds another
    # entry to teamRoles and expects only that one back; RFC 7644 §3.5.2.1 appends values to
    # a multi-valued attribute, so both teams are (rightly) returned.
    ("User", "check_add_attribute", f"{SCHEMA_TEAM_ROLES}:teamRoles"),
}


def _key(result) -> tuple:
    urn = (result.data or {}).get("urn", "") if isinstance(result.data, dict) else ""
    return (result.resource_type, result.title, urn)


def test_scim2_tester_reports_no_failure(live_server):
    with Client(
        base_url=f"{live_server.url}/scim/v2",
        headers={"Authorization": f"Bearer {live_server.token}"},
        timeout=30,
    ) as http:
        results = check_server(SyncSCIMClient(http))
    failures = [
        result
        for result in results
        if result.status in (Status.ERROR, Status.CRITICAL) and _key(result) not in NOT_APPLICABLE
    ]
    assert failures == []
    tested = {result.resource_type for result in results if result.status is Status.SUCCESS}
    assert {"User", "Group", "Role"} <= tested
