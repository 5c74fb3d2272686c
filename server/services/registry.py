"""The model registry of a team: registered models, model versions linking committed artifact
versions of the team's projects, aliases, protected aliases and registry admins.

Who may do what is decided by ``authorize``. Where the answer depends on the data (an alias
that is on the team's protected list) the service asks ``authorize`` for
``registry:manage_protected_aliases`` before it changes anything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ..auth import authorize
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import ModelAlias, ModelVersion, ProtectedAlias, RegisteredModel, Team
from . import artifacts, audit
from .artifacts import LATEST, NAME_RE, VERSION_RE, validate_alias
from .projects import load_project

# --- registered models -------------------------------------------------------------------


def load_model(team: Team, name: str) -> RegisteredModel:
    """The registered model ``name``; NotFound ``model_not_found``."""
    model = db.session.scalar(
        select(RegisteredModel).where(
            RegisteredModel.team_id == team.id, RegisteredModel.name == name
        )
    )
    if model is None:
        raise NotFound(f"{team.slug} has no registered model {name!r}.", code="model_not_found")
    return model


def models_query(team: Team):
    return (
        select(RegisteredModel)
        .where(RegisteredModel.team_id == team.id)
        .options(selectinload(RegisteredModel.created_by))
    )


def model_summaries(model_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Model id → (number of versions, newest version number), in one query."""
    if not model_ids:
        return {}
    stmt = (
        select(ModelVersion.model_id, func.count(ModelVersion.id), func.max(ModelVersion.version))
        .where(ModelVersion.model_id.in_(model_ids))
        .group_by(ModelVersion.model_id)
    )
    return {model_id: (count, top) for model_id, count, top in db.session.execute(stmt)}


def create_model(actor, team: Team, name: str, description: str = "") -> RegisteredModel:
    """Raises ValidationFailed ``invalid_model_name``, Conflict ``model_exists``."""
    if not NAME_RE.match(name or ""):
        raise ValidationFailed(
            "Model names are 1-128 letters, digits, '.', '_' or '-', starting with a letter or "
            "digit.",
            code="invalid_model_name",
        )
    taken = Conflict(f"{team.slug} already has a model named {name!r}.", code="model_exists")
    if db.session.scalar(
        select(RegisteredModel.id).where(
            RegisteredModel.team_id == team.id, RegisteredModel.name == name
        )
    ):
        raise taken
    model = RegisteredModel(
        team_id=team.id, name=name, description=description, created_by_id=actor.id
    )
    db.session.add(model)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise taken from None
    audit.record("model:create", target=model)
    db.session.commit()
    return model


def update_model(model: RegisteredModel, description: str | None) -> RegisteredModel:
    if description is not None:
        model.description = description
    audit.record("model:update", target=model, details={"fields": ["description"]})
    db.session.commit()
    return model


def _protected_in_use(model: RegisteredModel, version_id: int | None = None) -> list[str]:
    """Protected aliases currently on the model (or on one of its versions)."""
    stmt = (
        select(ModelAlias.alias)
        .join(
            ProtectedAlias,
            (ProtectedAlias.alias == ModelAlias.alias) & (ProtectedAlias.team_id == model.team_id),
        )
        .where(ModelAlias.model_id == model.id)
        .order_by(ModelAlias.alias)
    )
    if version_id is not None:
        stmt = stmt.where(ModelAlias.model_version_id == version_id)
    return list(db.session.scalars(stmt))


def delete_model(actor, model: RegisteredModel) -> None:
    """Delete a model with its versions and aliases. While a protected alias is on one of
    them, only registry admins may (Forbidden ``permission_denied``)."""
    protected = _protected_in_use(model)
    if protected:
        authorize(actor, "registry:manage_protected_aliases", model)
    audit.record("model:delete", target=model, details={"protected_aliases": protected})
    db.session.execute(delete(RegisteredModel).where(RegisteredModel.id == model.id))
    db.session.commit()


# --- model versions ----------------------------------------------------------------------


def resolve_model_version(model: RegisteredModel, ref: str) -> ModelVersion:
    """``v2``, ``latest`` or an alias → the model version. NotFound ``version_not_found``."""
    stmt = (
        select(ModelVersion)
        .where(ModelVersion.model_id == model.id)
        .options(selectinload(ModelVersion.artifact_version))
    )
    number = VERSION_RE.match(ref or "")
    if number:
        stmt = stmt.where(ModelVersion.version == int(number[1]))
    elif ref == LATEST:
        stmt = stmt.order_by(ModelVersion.version.desc()).limit(1)
    else:
        stmt = stmt.join(ModelAlias, ModelAlias.model_version_id == ModelVersion.id).where(
            ModelAlias.alias == ref
        )
    found = db.session.scalar(stmt)
    if found is None:
        raise NotFound(f"{model.name} has no version or alias {ref!r}.", code="version_not_found")
    set_committed_value(found, "model", model)
    return found


def model_versions_query(model: RegisteredModel):
    return (
        select(ModelVersion)
        .where(ModelVersion.model_id == model.id)
        .options(selectinload(ModelVersion.created_by), selectinload(ModelVersion.artifact_version))
    )


def model_aliases_of(version_ids: list[int]) -> dict[int, list[str]]:
    """Model version id → its aliases, sorted (one query)."""
    return artifacts.grouped_aliases(ModelAlias.model_version_id, ModelAlias.alias, version_ids)


def latest_model_number(model: RegisteredModel) -> int | None:
    return db.session.scalar(
        select(func.max(ModelVersion.version)).where(ModelVersion.model_id == model.id)
    )


def _next_number(model: RegisteredModel) -> int:
    db.session.execute(
        update(RegisteredModel)
        .where(RegisteredModel.id == model.id)
        .values(next_version=RegisteredModel.next_version + 1)
        .execution_options(synchronize_session=False)
    )
    taken = db.session.scalar(
        select(RegisteredModel.next_version).where(RegisteredModel.id == model.id)
    )
    return taken - 1


def link_version(
    actor,
    team: Team,
    model: RegisteredModel,
    *,
    project: str,
    artifact: str,
    version: str,
    aliases: list[str] = (),
    description: str = "",
) -> ModelVersion:
    """Link a committed artifact version of one of the team's projects as the model's next
    version, with optional aliases. Raises NotFound (project, artifact, version), Conflict
    ``version_not_committed`` / ``already_linked``, Forbidden for a protected alias."""
    aliases = sorted({validate_alias(a) for a in aliases})
    source_project = load_project(team, project)
    authorize(actor, "artifact:view", source_project)
    collection = artifacts.load_collection(source_project, artifact)
    source = artifacts.require_committed(artifacts.resolve_version(collection, version))
    _authorize_protected(actor, model, aliases)
    existing = db.session.scalar(
        select(ModelVersion.version).where(
            ModelVersion.model_id == model.id, ModelVersion.artifact_version_id == source.id
        )
    )
    already = Conflict(
        f"{source.name} is already linked to {model.name}.",
        code="already_linked",
        version=None if existing is None else f"v{existing}",
    )
    if existing is not None:
        raise already
    linked = ModelVersion(
        team_id=team.id,
        model_id=model.id,
        version=_next_number(model),
        artifact_version_id=source.id,
        source_project=source_project.name,
        source_artifact=collection.name,
        source_version=source.version,
        description=description,
        created_by_id=actor.id,
    )
    linked.model, linked.artifact_version = model, source
    db.session.add(linked)
    try:
        db.session.flush()
        for alias in aliases:
            _put_alias(actor, model, linked, alias, replace=True)
    except IntegrityError:
        db.session.rollback()
        raise already from None
    audit.record(
        "model_version:link",
        target=linked,
        details={"source": f"{source_project.name}/{source.name}", "aliases": aliases},
    )
    db.session.commit()
    return linked


def require_source(linked: ModelVersion):
    """The artifact version a model version links. NotFound ``source_deleted`` once its
    project was deleted."""
    if linked.artifact_version is None:
        raise NotFound(
            f"{linked.name} linked {linked.source_project}/{linked.source_artifact}:"
            f"v{linked.source_version}, which was deleted with its project.",
            code="source_deleted",
        )
    return linked.artifact_version


def unlink_version(actor, linked: ModelVersion) -> None:
    """Remove a model version (the artifact stays). A protected alias on it needs a registry
    admin (Forbidden ``permission_denied``)."""
    protected = _protected_in_use(linked.model, linked.id)
    if protected:
        authorize(actor, "registry:manage_protected_aliases", linked.model)
    audit.record("model_version:unlink", target=linked, details={"protected_aliases": protected})
    db.session.execute(delete(ModelVersion).where(ModelVersion.id == linked.id))
    db.session.commit()


# --- aliases -------------------------------------------------------------------------------


def is_protected(team_id: int, alias: str) -> bool:
    return (
        db.session.scalar(
            select(ProtectedAlias.id).where(
                ProtectedAlias.team_id == team_id, ProtectedAlias.alias == alias
            )
        )
        is not None
    )


def _authorize_protected(actor, model: RegisteredModel, aliases) -> None:
    """Setting or removing a protected alias needs ``registry:manage_protected_aliases``."""
    if protected_set(model.team_id, list(aliases)):
        authorize(actor, "registry:manage_protected_aliases", model)


def _put_alias(actor, model, linked: ModelVersion, alias: str, *, replace: bool) -> int | None:
    row = db.session.scalar(
        select(ModelAlias)
        .where(ModelAlias.model_id == model.id, ModelAlias.alias == alias)
        .options(selectinload(ModelAlias.model_version))
        .with_for_update()
    )
    if row is not None and row.model_version_id == linked.id:
        return linked.version
    if row is not None and not replace:
        raise Conflict(
            f"{alias!r} is on v{row.model_version.version}; send replace=true to move it.",
            code="alias_taken",
            version=f"v{row.model_version.version}",
        )
    previous = row.model_version.version if row is not None else None
    version_id, actor_id = linked.id, actor.id  # read first: a refresh must not autoflush
    if row is None:
        row = ModelAlias(model_id=model.id, alias=alias, model_version_id=version_id)
        db.session.add(row)
    row.model_version_id, row.created_by_id = version_id, actor_id
    artifacts.flush_alias(alias)
    return previous


def set_alias(actor, model, alias: str, ref: str, *, replace: bool = True) -> dict[str, Any]:
    """Set or move an alias on a model version. Protected aliases need a registry admin
    (Forbidden ``permission_denied``); ``latest`` is reserved."""
    validate_alias(alias)
    linked = resolve_model_version(model, ref)
    _authorize_protected(actor, model, [alias])
    try:
        previous = _put_alias(actor, model, linked, alias, replace=replace)
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            f"{alias!r} was set by another request at the same time; try again.",
            code="alias_taken",
        ) from None
    audit.record(
        "model_alias:set",
        target=model,
        details={"alias": alias, "version": f"v{linked.version}", "previous": previous},
    )
    db.session.commit()
    return alias_dict(
        alias, linked.version, previous=previous, protected=is_protected(model.team_id, alias)
    )


def alias_dict(alias: str, number: int, **extra) -> dict[str, Any]:
    previous = extra.pop("previous", None)
    body = {"alias": alias, "version": f"v{number}", **extra}
    if previous is not None:
        body["previous"] = f"v{previous}"
    return body


def _load_alias(model, alias: str) -> ModelAlias:
    row = db.session.scalar(
        select(ModelAlias)
        .where(ModelAlias.model_id == model.id, ModelAlias.alias == alias)
        .options(selectinload(ModelAlias.model_version))
    )
    if row is None:
        raise NotFound(f"{model.name} has no alias {alias!r}.", code="alias_not_found")
    return row


def get_alias(model, alias: str) -> dict[str, Any]:
    if alias == LATEST:
        number = latest_model_number(model)
        if number is None:
            raise NotFound(f"{model.name} has no versions yet.", code="alias_not_found")
        return alias_dict(LATEST, number, automatic=True, protected=False)
    row = _load_alias(model, alias)
    return alias_dict(
        alias, row.model_version.version, protected=is_protected(model.team_id, alias)
    )


def delete_alias(actor, model, alias: str) -> None:
    """Remove an alias; a protected one needs a registry admin."""
    if alias == LATEST:
        validate_alias(alias)
    row = _load_alias(model, alias)
    _authorize_protected(actor, model, [alias])
    audit.record(
        "model_alias:delete",
        target=model,
        details={"alias": alias, "version": f"v{row.model_version.version}"},
    )
    db.session.delete(row)
    db.session.commit()


def model_aliases_query(model):
    return (
        select(ModelAlias)
        .where(ModelAlias.model_id == model.id)
        .options(selectinload(ModelAlias.model_version))
    )


def protected_set(team_id: int, aliases: list[str]) -> set[str]:
    if not aliases:
        return set()
    return set(
        db.session.scalars(
            select(ProtectedAlias.alias).where(
                ProtectedAlias.team_id == team_id, ProtectedAlias.alias.in_(aliases)
            )
        )
    )
