"""Benchmark: SCIM user filters on 10,000 users (in process, through the Flask test client).

Loads 10,000 provisioned users into a fresh database (SQLite by default, or ``--database-url``
for an empty PostgreSQL database) and times the filters identity providers send, printing the
median and 95th percentile per request and the SQL queries each one ran.

    python bench/scim_filters.py [--requests 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402

from server import create_app  # noqa: E402
from server.extensions import db  # noqa: E402
from server.models import User  # noqa: E402
from server.models.base import utcnow  # noqa: E402
from server.services import scim_tokens  # noqa: E402

USERS = 10_000
FILTERS = [
    'userName eq "u7777@example.com"',
    'emails[type eq "work" and value eq "u4242@example.com"]',
    'externalId eq "ext-9999"',
    'userName sw "u99"',
    'active eq true and userName co "77"',
]


def _load(app) -> str:
    with app.app_context():
        upgrade()
        now = utcnow()
        db.session.execute(
            insert(User),
            [
                {
                    "username": f"u{n}",
                    "email": f"u{n}@example.com",
                    "scim_user_name": f"u{n}@example.com",
                    "external_id": f"ext-{n}",
                    "display_name": f"User {n}",
                    "kind": "user",
                    "state": "active",
                    "system_admin": False,
                    "seat_type": "full",
                    "session_version": 1,
                    "created_at": now,
                    "scim_deprovisioned": False,
                }
                for n in range(USERS)
            ],
        )
        db.session.commit()
        return scim_tokens.create_token("bench")[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    app = create_app(
        {"database_url": url, "secret_key": "b" * 40, "data_dir": tmp, "log_level": "ERROR"}
    )
    token = _load(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    counted: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: counted.append(a[2]))
    print(f"{USERS} users on {url.split(':', 1)[0]}, {args.requests} requests per filter")
    for expression in FILTERS:
        times = []
        for _ in range(args.requests):
            counted.clear()
            start = time.perf_counter()
            response = client.get(
                "/scim/v2/Users", query_string={"filter": expression}, headers=headers
            )
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.json
        queries = len([s for s in counted if "scim_tokens" not in s])
        p95 = statistics.quantiles(times, n=20)[-1]
        print(
            f"  {expression:60} median {statistics.median(times):6.2f} ms  p95 {p95:6.2f} ms  "
            f"results {response.json['totalResults']:5}  user queries {queries}"
        )


if __name__ == "__main__":
    main()
