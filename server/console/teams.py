"""Team pages: the list of my teams, a team's home (its profile), editing that profile,
project privacy and storage. Members, registry and service accounts have modules of their own.

Every view declares its permission with a loader, so ``authorize`` decides; what a page offers
(edit buttons, forms) follows ``can`` on the same team, never role names.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..api.pagination import paginate
from ..auth import can, requires
from ..errors import OutpostError, Unauthenticated
from ..extensions import db
from ..models import Membership, Project, Team, User
from ..services import projects as project_service
from ..services import teams as team_service
from . import bp
from . import team_showcase as showcase
from .forms import TeamProfileForm, VisibilityForm

PAGE = 50


@dataclass(frozen=True)
class TeamProfile:
    """A team's profile page as a resource: members see it, and so does every signed-in user
    when the team made it public (``authorize`` reads ``team_id`` and ``is_public``)."""

    team: Team

    @property
    def team_id(self) -> int:
        return self.team.id

    @property
    def is_public(self) -> bool:
        return self.team.profile_visibility == "public"


def require_signed_in() -> None:
    """Loaders run before ``authorize``; checking sign-in first keeps anonymous visitors from
    telling existing names (sign-in page) from missing ones (404)."""
    if not getattr(current_user, "is_authenticated", False):
        raise Unauthenticated("Sign in to continue.")


def load_team(team: str) -> Team:
    require_signed_in()
    return team_service.load_team(team)


def load_team_profile(team: str) -> TeamProfile:
    require_signed_in()
    return TeamProfile(team_service.load_team(team))


def team_flags(team: Team) -> dict[str, bool]:
    """What the signed-in user may do in ``team``: drives tabs and controls on every page."""
    user = current_user
    return {
        "can_view": can(user, "team:view", team),
        "can_manage_members": can(user, "team:manage_members", team),
        "can_manage_settings": can(user, "team:manage_settings", team),
        "can_manage_service_accounts": can(user, "service_account:manage", team),
        "can_manage_registry_admins": can(user, "registry:manage_admins", team),
        "can_manage_protected_aliases": can(user, "registry:manage_protected_aliases", team),
        "can_view_registry": can(user, "registry:view", team),
    }


def render_team_page(template: str, team: Team, tab: str, **context):
    return render_template(template, team=team, tab=tab, flags=team_flags(team), **context)


def cursor_arg() -> str | None:
    return request.args.get("cursor") or None


@bp.get("/teams")
@requires("team:list")
def teams():
    page = paginate(
        team_service.teams_query(current_user), Team.id, cursor=cursor_arg(), limit=PAGE
    )
    ids = [team.id for team in page.items]
    counts = dict(
        db.session.execute(
            select(Membership.team_id, func.count(Membership.id))
            .where(Membership.team_id.in_(ids))
            .group_by(Membership.team_id)
        ).all()
    )
    roles = dict(
        db.session.execute(
            select(Membership.team_id, Membership.role).where(
                Membership.team_id.in_(ids), Membership.user_id == current_user.id
            )
        ).all()
    )
    return render_template("teams/index.html", page=page, counts=counts, roles=roles)


# --- home and profile -------------------------------------------------------------------------


@bp.get("/teams/<team>")
@requires("team:view_profile", resource=load_team_profile)
def team_home(team: str, resource: TeamProfile):
    team_row = resource.team
    member_count = db.session.scalar(
        select(func.count(Membership.id)).where(Membership.team_id == team_row.id)
    )
    # Faces of the team for its members; visitors of a public profile see the count only.
    people = []
    if can(current_user, "team:view", team_row):
        people = db.session.execute(
            select(User.username, User.display_name)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == team_row.id, User.kind == "user")
            .order_by(Membership.id)
            .limit(12)
        ).all()
    return render_team_page(
        "teams/home.html",
        team_row,
        "home",
        showcased=showcase.showcased_projects(team_row),
        reports=showcase.showcased_reports(team_row),
        links=showcase.links(team_row),
        member_count=member_count,
        people=people,
    )


def _profile_form(team: Team, submitted: bool = False) -> TeamProfileForm:
    """The edit form: the posted values when ``submitted``, else the team's current ones."""
    if submitted:
        form = TeamProfileForm()
    else:
        form = TeamProfileForm(
            formdata=None,
            display_name=team.display_name,
            intro=team.intro,
            profile_visibility=team.profile_visibility,
            links="\n".join(f"{x.get('label', '')} | {x.get('url', '')}" for x in team.links),
        )
    showcase.fill_showcase_form(form, team, submitted)
    return form


@bp.get("/teams/<team>/profile")
@requires("team:manage_settings", resource=load_team)
def edit_team_profile(team: str, resource: Team):
    return render_team_page(
        "teams/edit_profile.html", resource, "profile", form=_profile_form(resource), preview=None
    )


@bp.post("/teams/<team>/profile")
@requires("team:manage_settings", resource=load_team)
def save_team_profile(team: str, resource: Team):
    form = _profile_form(resource, submitted=True)
    if request.form.get("action") == "preview":
        form.validate_on_submit()  # checks the CSRF token; the preview itself saves nothing
        return render_team_page(
            "teams/edit_profile.html", resource, "profile", form=form, preview=form.intro.data
        )
    if not form.validate_on_submit():
        flash("Check the highlighted fields.", "error")
        return render_team_page(
            "teams/edit_profile.html", resource, "profile", form=form, preview=None
        ), 422
    try:
        team_service.update_team(
            resource,
            {
                "display_name": form.display_name.data.strip(),
                "intro": form.intro.data or "",
                "profile_visibility": form.profile_visibility.data,
                "links": showcase.parse_links(form.links.data),
                "showcase": showcase.showcase_from_form(form),
            },
        )
    except OutpostError as error:
        db.session.rollback()
        flash(error.message, "error")
        return render_team_page(
            "teams/edit_profile.html", resource, "profile", form=form, preview=None
        ), error.status
    flash("Team profile saved.", "success")
    return redirect(url_for("console.team_home", team=resource.slug))


# --- privacy and storage ----------------------------------------------------------------------


@bp.get("/teams/<team>/privacy")
@requires("team:view", resource=load_team)
def team_privacy(team: str, resource: Team):
    page = paginate(
        select(Project).where(Project.team_id == resource.id),
        Project.id,
        cursor=cursor_arg(),
        limit=PAGE,
    )
    forms = {p.id: VisibilityForm(formdata=None, visibility=p.visibility) for p in page.items}
    return render_team_page("teams/privacy.html", resource, "privacy", page=page, forms=forms)


@bp.post("/teams/<team>/privacy/<project>")
@requires("team:manage_settings", resource=load_team)
def set_project_visibility(team: str, project: str, resource: Team):
    form = VisibilityForm()
    if form.validate_on_submit():
        target = project_service.load_project(resource, project)
        try:
            project_service.set_visibility(current_user, target, form.visibility.data)
            flash(f"{target.name} is now {form.visibility.data}.", "success")
        except OutpostError as error:
            db.session.rollback()
            flash(error.message, "error")
    else:
        flash("Choose private or public.", "error")
    return redirect(url_for("console.team_privacy", team=resource.slug))


@bp.get("/teams/<team>/storage")
@requires("team:view", resource=load_team)
def team_storage(team: str, resource: Team):
    config = {k: v for k, v in (resource.storage_config or {}).items() if k != "credentials"}
    return render_team_page("teams/storage.html", resource, "storage", config=config)
