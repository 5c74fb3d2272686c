"""Group mapping for single sign-on: rules from an ID-token claim value (``groups`` containing
``ml-vision``) to a team role, applied at every SSO sign-in.

A rule's membership is added when the claim value appears, its role changed when the matching
rules change, and it is removed when the value goes away. Only memberships the mapping granted
are changed or removed: someone added to a team by hand keeps that membership. A team's last
admin is never demoted or removed by the mapping. Every change is in the audit log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..errors import NotFound, OutpostError, ValidationFailed
from ..extensions import db
from ..models import Membership, SsoGroupRule, SsoTeamGrant, Team, User
from . import audit
from .memberships import resolve_role, role_name

# When several rules name the same team, the strongest role wins.
_RANK = {"admin": 3, "member": 2, "view-only": 0}
_CLAIM_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:/")


def list_rules() -> list[SsoGroupRule]:
    return list(
        db.session.scalars(
            select(SsoGroupRule).order_by(SsoGroupRule.claim, SsoGroupRule.value, SsoGroupRule.id)
        )
    )


def add_rule(claim: str, value: str, team_slug: str, role: str) -> SsoGroupRule:
    """Add a rule. Raises ValidationFailed (``invalid_rule``, ``unknown_role``), NotFound
    (``team_not_found``), Conflict-free: the same rule twice is refused as invalid."""
    claim, value, role = (claim or "").strip(), (value or "").strip(), (role or "").strip()
    if not claim or len(claim) > 64 or not set(claim) <= _CLAIM_CHARS:
        raise ValidationFailed("Give the claim's name, e.g. groups.", code="invalid_rule")
    if not value or len(value) > 255:
        raise ValidationFailed(
            "Give the claim value to match, e.g. ml-vision.", code="invalid_rule"
        )
    team = db.session.scalar(
        select(Team).where(Team.slug == (team_slug or "").strip().lower(), Team.state == "active")
    )
    if team is None:
        raise NotFound(f"No team named {team_slug!r}.", code="team_not_found")
    resolve_role(role)
    duplicate = db.session.scalar(
        select(SsoGroupRule).where(
            SsoGroupRule.claim == claim,
            SsoGroupRule.value == value,
            SsoGroupRule.team_id == team.id,
        )
    )
    if duplicate is not None:
        raise ValidationFailed(
            f"A rule for {claim} = {value} and team {team.slug} exists already; delete it first.",
            code="invalid_rule",
        )
    rule = SsoGroupRule(claim=claim, value=value, team_id=team.id, role=role)
    db.session.add(rule)
    db.session.flush()
    audit.record(
        "sso:group_rule_add",
        target_type="sso_group_rule",
        target_id=str(rule.id),
        target_name=f"{claim}={value}",
        team_id=team.id,
        details={"claim": claim, "value": value, "team": team.slug, "role": role},
    )
    db.session.commit()
    return rule


def delete_rule(rule_id: int) -> None:
    """Delete a rule (memberships it granted go at each person's next sign-in)."""
    rule = db.session.get(SsoGroupRule, rule_id)
    if rule is None:
        raise NotFound("No such group mapping rule.", code="rule_not_found")
    audit.record(
        "sso:group_rule_remove",
        target_type="sso_group_rule",
        target_id=str(rule.id),
        target_name=f"{rule.claim}={rule.value}",
        team_id=rule.team_id,
        details={"claim": rule.claim, "value": rule.value, "role": rule.role},
    )
    db.session.delete(rule)
    db.session.commit()


def _claim_values(claims: dict[str, Any], claim: str) -> set[str]:
    raw = claims.get(claim)
    if isinstance(raw, list | tuple):
        return {str(item) for item in raw}
    return {str(raw)} if raw not in (None, "") else set()


def desired_roles(claims: dict[str, Any]) -> dict[int, str]:
    """team id → role name the rules give for these claims."""
    desired: dict[int, str] = {}
    for rule in list_rules():
        if rule.value not in _claim_values(claims, rule.claim):
            continue
        held = desired.get(rule.team_id)
        if held is None or _RANK.get(rule.role, 1) > _RANK.get(held, 1):
            desired[rule.team_id] = rule.role
    return desired


def _is_last_admin(membership: Membership) -> bool:
    if membership.role != "admin":
        return False
    admins = db.session.scalars(
        select(Membership.id).where(
            Membership.team_id == membership.team_id, Membership.role == "admin"
        )
    ).all()
    return len(admins) <= 1


def _record(action: str, user: User, team_id: int, **details: Any) -> None:
    audit.record(action, target=user, actor=user, team_id=team_id, details=details)


def apply_rules(user: User, claims: dict[str, Any]) -> None:
    """Bring the user's mapped memberships in line with ``claims`` (in the caller's
    transaction). A rule whose role is no longer usable is skipped and recorded."""
    desired = desired_roles(claims)
    grants = {
        g.team_id: g
        for g in db.session.scalars(select(SsoTeamGrant).where(SsoTeamGrant.user_id == user.id))
    }
    if not desired and not grants:
        return
    memberships = {
        m.team_id: m
        for m in db.session.scalars(select(Membership).where(Membership.user_id == user.id))
    }
    for team_id, role in desired.items():
        membership = memberships.get(team_id)
        if membership is not None and team_id not in grants:
            continue  # added by hand: the mapping leaves it alone
        try:
            resolved, custom = resolve_role(role)
        except OutpostError as error:
            _record("sso:member_skip", user, team_id, role=role, reason=error.code)
            continue
        if membership is None:
            db.session.add(
                Membership(
                    team_id=team_id,
                    user_id=user.id,
                    role=resolved,
                    custom_role_id=custom.id if custom else None,
                )
            )
            db.session.add(SsoTeamGrant(user_id=user.id, team_id=team_id))
            _record("member:add", user, team_id, role=role, source="sso_group_mapping")
        elif role_name(membership) != role and not (
            resolved != "admin" and _is_last_admin(membership)
        ):
            membership.role = resolved
            membership.custom_role_id = custom.id if custom else None
            _record("member:update", user, team_id, role=role, source="sso_group_mapping")
    for team_id, grant in grants.items():
        if team_id in desired:
            continue
        membership = memberships.get(team_id)
        if membership is not None:
            if _is_last_admin(membership):
                _record("sso:member_skip", user, team_id, reason="last_team_admin")
                continue
            db.session.delete(membership)
            _record("member:remove", user, team_id, source="sso_group_mapping")
        db.session.delete(grant)
