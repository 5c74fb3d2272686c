"""Admin › Custom roles: list, create, edit and delete instance-wide custom roles.

Creating and editing need a license with ``custom_roles``; without one the page says why, and
existing roles are still listed (and can be deleted)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..api.pagination import paginate
from ..auth import requires
from ..auth.permissions import BUILTIN_ROLES, CUSTOM_ROLE_BASES, CUSTOM_ROLE_PERMISSIONS
from ..errors import OutpostError
from ..models import CustomRole
from ..services import roles as service
from ..services.licensing import current_status
from . import bp
from .admin_forms import RoleForm
from .forms import ConfirmForm

PAGE_SIZE = 50


def team_permissions() -> list[tuple[str, str]]:
    """Extra permissions a custom role may add: every team permission, and its ``:own`` form,
    with their descriptions."""
    choices = []
    for name, spec in CUSTOM_ROLE_PERMISSIONS.items():
        choices.append((name, spec.description))
        if spec.ownable:
            choices.append((f"{name}:own", f"{spec.description}, only their own"))
    return choices


def base_role_permissions() -> dict[str, list[tuple[str, str]]]:
    """For each base role, the team permissions it already includes (shown, not offered)."""
    return {
        base: [(name, text) for name, text in team_permissions() if service.inherited(base, name)]
        for base in CUSTOM_ROLE_BASES
    }


def _inherited_in(bases: dict[str, list[tuple[str, str]]]) -> dict[str, list[str]]:
    """Permission name -> the base roles that include it."""
    found: dict[str, list[str]] = {}
    for base, included in bases.items():
        for name, _ in included:
            found.setdefault(name, []).append(base)
    return found


def _license_note() -> str | None:
    """Why custom roles cannot be managed now, or None when they can."""
    status = current_status()
    if status.allows_management("custom_roles"):
        return None
    if status.has_feature("custom_roles") and status.state == "expired":
        return (
            "The license expired and its grace period is over: existing custom roles keep "
            "working, but they cannot be created or changed until a renewed license is uploaded."
        )
    return (
        "Creating and editing custom roles needs an enterprise license with the custom_roles "
        "feature. Existing roles keep working and are listed below."
    )


def _form(role: CustomRole | None = None) -> RoleForm:
    form = RoleForm(obj=role) if role is not None and request.method == "GET" else RoleForm()
    form.permissions.choices = [name for name, _ in team_permissions()]
    return form


def _render(form, refusal=None, status=200):
    page = paginate(
        service.roles_query(),
        CustomRole.id,
        cursor=request.args.get("cursor") or None,
        limit=PAGE_SIZE,
    )
    return render_template(
        "admin/roles.html",
        admin_section="roles",
        roles=page,
        builtin=BUILTIN_ROLES,
        form=form,
        refusal=refusal,
        license_note=_license_note(),
        permission_choices=team_permissions(),
        base_permissions=(bases := base_role_permissions()),
        inherited_in=_inherited_in(bases),
        confirm=ConfirmForm(formdata=None),
        args=request.args,
    ), status


@bp.get("/admin/roles")
@requires("system:roles")
def admin_roles():
    return _render(_form())


@bp.post("/admin/roles")
@requires("system:roles")
def create_role():
    form = _form()
    if not form.validate_on_submit():
        return _render(form, "Give the role a name.", 422)
    try:
        role = service.create_role(
            form.name.data, form.base.data, form.permissions.data or [], form.description.data or ""
        )
    except OutpostError as error:
        return _render(form, error.message, error.status)
    flash(f"Custom role {role.name} created. Team admins can now assign it.", "success")
    return redirect(url_for("console.admin_roles"))


def _edit_page(role, form, refusal=None, status=200):
    return render_template(
        "admin/role_edit.html",
        admin_section="roles",
        role=role,
        form=form,
        refusal=refusal,
        license_note=_license_note(),
        permission_choices=team_permissions(),
        base_permissions=(bases := base_role_permissions()),
        inherited_in=_inherited_in(bases),
    ), status


@bp.get("/admin/roles/<name>")
@requires("system:roles")
def edit_role(name: str):
    role = service.load_role(name)
    return _edit_page(role, _form(role))


@bp.post("/admin/roles/<name>")
@requires("system:roles")
def update_role(name: str):
    role = service.load_role(name)
    form = _form(role)
    if not form.validate_on_submit():
        return _edit_page(role, form, "The form expired; try again.", 400)
    try:
        service.update_role(
            role,
            base=form.base.data,
            permissions=form.permissions.data or [],
            description=form.description.data or "",
        )
    except OutpostError as error:
        return _edit_page(role, form, error.message, error.status)
    flash(f"Custom role {role.name} saved.", "success")
    return redirect(url_for("console.admin_roles"))


@bp.post("/admin/roles/<name>/delete")
@requires("system:roles")
def delete_role(name: str):
    if ConfirmForm().validate_on_submit():
        moved = service.delete_role(service.load_role(name))
        flash(
            f"Custom role {name} deleted; {moved} member(s) went back to its base role.",
            "success",
        )
    return redirect(url_for("console.admin_roles"))
