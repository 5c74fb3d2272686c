"""One date format in the whole console: every moment is shown through the ``when`` filter, as
``<time datetime="…">2026-12-04 21:50 UTC</time>`` (days as ``2026-12-04``, the audit log to
the second; messages written by services may carry the same format as plain text). Two checks:
no template or console view formats a date itself, and a walk over every console page reachable
from the home and admin pages finds no date shown another way. Chart axis ticks (inside SVG)
are scale labels, not moments, and code blocks show data as it is stored; both are left out."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from server.extensions import db
from tests.console.data_world import seed
from tests.console.helpers import html, signed_in
from tests.factories import make_key, make_team

ROOT = Path(__file__).resolve().parents[2] / "server"
CANONICAL = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})? UTC)?")
DATE_LIKE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}:\d{2}\b"
    r"|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}\b"
)
TEMPLATE_FORBIDDEN = re.compile(r"strftime|isoformat|\|\s*day\b|(_at|date|time)\s*\[:|%Y|%H:%M")
VIEW_FORBIDDEN = re.compile(r"strftime|%Y|%H:%M|%b\b|:%[a-zA-Z]")
SKIP = re.compile(r"sign-out|logout|/export|\.csv|/download|/files/|/api/|/static/|/avatar")
MAX_PAGES = 150


def test_no_template_or_console_view_formats_a_date_itself():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if TEMPLATE_FORBIDDEN.search(line)
    ]
    offenders += [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "console").glob("*.py"))
        if path.name != "templating.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if VIEW_FORBIDDEN.search(line)
    ]
    assert offenders == [], "format dates with the `when` filter or format_when:\n" + "\n".join(
        offenders
    )


class _Dates(HTMLParser):
    """Collects links, dates shown outside a <time> element and <time> elements whose text or
    datetime attribute is not the console's format."""

    EXEMPT = {"script", "style", "svg", "code", "pre", "textarea"}

    def __init__(self):
        super().__init__()
        self.links, self.stray, self.bad_time = [], [], []
        self.exempt = 0
        self.time = None  # the open <time>'s attributes and text

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in self.EXEMPT:
            self.exempt += 1
        if tag == "time":
            self.time = {"datetime": attrs.get("datetime"), "text": ""}

    def handle_endtag(self, tag):
        if tag in self.EXEMPT:
            self.exempt -= 1
        if tag == "time" and self.time is not None:
            text = self.time["text"].strip()
            if not self.time["datetime"] or not CANONICAL.fullmatch(text):
                self.bad_time.append((self.time["datetime"], text))
            self.time = None

    def handle_data(self, data):
        if self.time is not None:
            self.time["text"] += data
        elif not self.exempt and DATE_LIKE.search(CANONICAL.sub("", data)):
            # Messages written by services (a license's status, a flash) may name a moment
            # in the console's format as plain text; any other way of writing one is stray.
            self.stray.append(data.strip()[:120])


def _world(app, client, token):
    """The seeded team, ada a system admin with a used API key, a license, a deleted team."""
    world = seed(app)
    ada = world.users["ada"]
    ada.system_admin = True
    make_team("old-team", admins=[ada])
    db.session.commit()
    key = make_key(ada)
    assert client.get("/api/v1/viewer", headers={"Authorization": f"Bearer {key}"}).status_code
    console = signed_in(app.test_client(), ada)
    assert console.post("/admin/license", {"token": token}).status_code == 302
    assert console.post("/admin/teams/old-team/delete", {"confirm": "old-team"}).status_code == 302
    return console


def test_every_console_page_shows_dates_one_way(app, client, issue_license):
    console = _world(app, client, issue_license(seats=20))
    queue, seen, problems = ["/", "/admin", "/settings/api-keys", "/users/ada"], set(), []
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = console.get(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        parser = _Dates()
        parser.feed(html(response))
        problems += [f"{path}: shown as {text!r}" for text in parser.stray]
        problems += [f"{path}: <time datetime={d!r}>{t}</time>" for d, t in parser.bad_time]
        for href in parser.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if not SKIP.search(target) and target not in seen:
                queue.append(target)
    assert len(seen) > 40, sorted(seen)  # the walk reached the console's pages
    assert {"/admin/users/ada", "/admin/teams/acme", "/admin/audit-log"} <= seen
    assert problems == []
