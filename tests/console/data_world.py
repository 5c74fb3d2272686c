"""A seeded team for the console's data pages: several people in every role, a private and a
public project, runs with metric history (one logged by a service account for a person),
a run file, an artifact version a run logged, and a report.

Built through the services (history through ``append_history``, so the downsampled buckets
the charts read are written the way production writes them)."""

from __future__ import annotations

from dataclasses import dataclass

from server.extensions import db
from server.models import RunFile
from server.services import run_history
from server.services import runs as run_service
from server.services import teams as team_service
from tests.artifact_support import ArtifactClient
from tests.factories import (
    add_member,
    make_key,
    make_project,
    make_report,
    make_run,
    make_service_account,
    make_user,
)

TEAM = "acme"
PROJECT = "vision"
BASE = f"/teams/{TEAM}/projects/{PROJECT}"


@dataclass
class World:
    users: dict
    project: object
    public: object
    runs: dict


def history(run, steps: int, *, start: int = 0, batch: int = 1000) -> None:
    """Log ``loss`` (falling, with a spike at step 37) and ``acc`` for ``steps`` steps."""
    for first in range(start, start + steps, batch):
        rows = [
            {
                "_step": s,
                "loss": 100.0 if s == 37 else 1.0 / (1 + s),
                "acc": s / (start + steps),
                "_timestamp": 1_700_000_000 + s,
                "note": "text is not charted",
            }
            for s in range(first, min(first + batch, start + steps))
        ]
        run_history.append_history(run, rows)


def seed(app, with_passwords: tuple[str, ...] = ()) -> World:
    """The world; people named in ``with_passwords`` can sign in with ``PASSWORD`` (the
    others skip the password hash: tests sign them in through the session)."""
    names = ("ada", "mia", "max", "vic", "otto")
    ada, mia, max_, vic, otto = (
        make_user(n, **({} if n in with_passwords else {"password": None})) for n in names
    )
    team = team_service.create_team(ada, TEAM, display_name="Acme")  # with its bucket
    add_member(team, mia, "member")
    add_member(team, max_, "member")
    add_member(team, vic, "view-only")
    bot = make_service_account(team, "bot")
    project = make_project(team, PROJECT, created_by=mia)
    public = make_project(team, "open", visibility="public", created_by=ada)
    r1 = make_run(project, mia, "r1", name="baseline", tags=["baseline", "cnn"], group="g1")
    r1.project = project
    history(r1, 50)
    run_service.update_run(
        r1, {"summary": {"best": 0.9}, "config": {"lr": 0.1, "opt": {"name": "adam"}}}
    )
    r2 = make_run(project, max_, "r2", name="wider", tags=["cnn"], group="g2")
    r2.project = project
    history(r2, 30)
    run_service.update_run(r2, {"state": "finished"})
    r3 = make_run(project, mia, "r3", name="from-ci", logged_by=bot)
    make_run(public, ada, "p1", name="public-run")
    db.session.add(RunFile(run_pk=r1.id, path="logs/output.log", size=1234))
    db.session.commit()
    artifacts = ArtifactClient(app, app.test_client(), make_key(mia), team=TEAM, project=PROJECT)
    artifacts.create("mnist")
    artifacts.log("mnist", {"train.csv": b"a,b\n1,2\n"}, run_id="r1")
    make_report(
        project, mia, title="Findings", body="# Findings\n\nLoss **falls**.<script>x</script>"
    )
    _registry(team, ada)
    users = {"ada": ada, "mia": mia, "max": max_, "vic": vic, "otto": otto, "bot": bot}
    return World(users=users, project=project, public=public, runs={"r1": r1, "r2": r2, "r3": r3})


def _registry(team, admin) -> None:
    """A model linking mnist:v0 with the alias ``staging`` and the protected ``production``
    (``admin`` becomes a registry admin to set it)."""
    from server.services import registry, registry_admins

    registry_admins.set_registry_admin(team, admin.username, True)
    registry_admins.add_protected(admin, team, "production")
    model = registry.create_model(admin, team, "classifier")
    link = {"project": PROJECT, "artifact": "mnist", "version": "v0", "aliases": ["staging"]}
    registry.link_version(admin, team, model, **link)
    registry.set_alias(admin, model, "production", "v0")
