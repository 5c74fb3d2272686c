"""The links the W&B SDK prints ("View run at <url>/<entity>/<project>/runs/<id>", "View
project at <url>/<entity>/<project>") lead to the console's own pages for that team, project and
run; those pages decide who may see them."""

from flask import redirect, url_for

from ..auth import requires
from . import bp


@bp.get("/<team>/<project>/runs/<run_id>")
@requires("viewer:read")
def wandb_run_link(team: str, project: str, run_id: str):
    return redirect(url_for("console.run_page", team=team, project=project, run_id=run_id))


@bp.get("/<team>/<project>")
@requires("viewer:read")
def wandb_project_link(team: str, project: str):
    return redirect(url_for("console.project_runs", team=team, project=project))
