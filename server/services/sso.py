"""Single sign-on accounts: who an identity provider's verified claims are in Outpost.

An identity (issuer + ``sub``) once linked always means the same user. The first sign-in links
to an existing account (or accepts the pending invitation of an invited one) only through an
e-mail the provider says is verified; else, with just-in-time provisioning on, it creates an
account with a full seat; else it is refused. A sign-in started from a team invitation's link
accepts that invitation when the provider's verified e-mail is the invited one, creating the
account if there is none (the invitation stands in for provisioning). Every outcome is in the
audit log.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, select

from ..errors import OutpostError
from ..extensions import db
from ..models import TeamInvitation, User, UserIdentity, UserInvite
from ..models.base import utcnow
from . import activity, audit, invitations, sso_groups
from .oidc import OidcSettings, SsoRefused
from .seats import ensure_seat_available
from .users import EMAIL_RE, USERNAME_RE

NO_ACCOUNT_MESSAGE = (
    "There is no Outpost account for {who}. Ask an admin for an invitation, then sign in again."
)


def _refuse(message: str, reason: str, claims: dict[str, Any], user: User | None = None):
    """Record the refusal (committed at once) and raise it."""
    db.session.rollback()
    who = str(claims.get("email") or claims.get("sub") or "")[:254]
    audit.record_now(
        "user:login",
        target=user,
        target_name=who,
        actor=user,
        actor_name=who,
        result="failure",
        details={"method": "oidc", "reason": reason, "subject": str(claims.get("sub", ""))[:255]},
    )
    raise SsoRefused(message, reason=reason, status=403)


def _email(claims: dict[str, Any]) -> str | None:
    email = str(claims.get("email") or "").strip().lower()
    return email if EMAIL_RE.match(email) and len(email) <= 254 else None


def _free_username(claims: dict[str, Any], claim: str, email: str | None) -> str:
    raw = str(claims.get(claim) or "").strip().lower()
    if not raw and email:
        raw = email
    raw = raw.split("@", 1)[0]  # an e-mail-like login (Okta) names the account by its local part
    base = re.sub(r"[^a-z0-9_-]+", "-", raw)
    base = re.sub(r"-{2,}", "-", base).strip("-_")[:56] or "user"
    candidate, n = base, 1
    while (
        not USERNAME_RE.match(candidate)
        or db.session.scalar(select(User.id).where(User.username == candidate)) is not None
    ):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _link(user: User, issuer: str, subject: str, *, invitation: bool) -> None:
    db.session.add(UserIdentity(user_id=user.id, issuer=issuer, subject=subject))
    audit.record(
        "sso:link",
        target=user,
        actor=user,
        details={"issuer": issuer, "subject": subject, "invitation_accepted": invitation},
    )


def _accept_invitation(user: User, claims: dict[str, Any]) -> None:
    """An invited user who signs in through SSO accepts the invitation: the account becomes
    active (no password; they sign in with the provider)."""
    try:
        ensure_seat_available(user.seat_type)
    except OutpostError as error:
        _refuse(error.message, "seat_limit_reached", claims, user)
    db.session.execute(delete(UserInvite).where(UserInvite.user_id == user.id))
    user.state = "active"
    if claims.get("name") and (not user.display_name or user.display_name == user.username):
        user.display_name = str(claims["name"])[:128]


def _provision(settings: OidcSettings, issuer: str, claims: dict[str, Any], email: str) -> User:
    try:
        ensure_seat_available("full")
    except OutpostError as error:
        _refuse(error.message, "seat_limit_reached", claims)
    username = _free_username(claims, settings.username_claim, email)
    user = User(
        username=username,
        email=email,
        display_name=str(claims.get("name") or username)[:128],
        password_hash=None,
        seat_type="full",
        state="active",
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "sso:provision",
        target=user,
        actor=user,
        details={"issuer": issuer, "subject": str(claims["sub"]), "seat_type": "full"},
    )
    return user


def _first_sign_in(
    settings: OidcSettings, issuer: str, claims: dict[str, Any], *, team_invited: bool = False
) -> User:
    """Link, accept an invitation, provision, or refuse the first sign-in of an identity
    (``team_invited``: a team invitation for the verified e-mail allows provisioning)."""
    email = _email(claims)
    subject = str(claims["sub"])
    existing = None
    if email:
        existing = db.session.scalar(select(User).where(User.email == email, User.kind == "user"))
    if existing is not None:
        if claims.get("email_verified") is not True:
            _refuse(
                f"An Outpost account uses {email}, but your identity provider has not verified "
                "that address, so it cannot be linked. Ask an admin for help.",
                "unverified_email",
                claims,
                existing,
            )
        invited = existing.state == "invited"
        if invited:
            _accept_invitation(existing, claims)
        _link(existing, issuer, subject, invitation=invited)
        return existing
    if not settings.auto_provision and not team_invited:
        _refuse(NO_ACCOUNT_MESSAGE.format(who=email or subject), "provisioning_off", claims)
    if not email or claims.get("email_verified") is not True:
        _refuse(
            "Your identity provider did not send a verified e-mail address, which Outpost "
            "needs to create your account. Ask an admin for an invitation.",
            "no_verified_email",
            claims,
        )
    user = _provision(settings, issuer, claims, email)
    _link(user, issuer, subject, invitation=False)
    return user


def _team_invitation(token: str, claims: dict[str, Any]) -> TeamInvitation:
    """The team invitation ``token`` names, for the provider's verified e-mail only."""
    try:
        invitation = invitations.load_invitation(token)
    except OutpostError as error:
        _refuse(error.message, "invitation_invalid", claims)
    email = _email(claims) if claims.get("email_verified") is True else None
    if email != invitation.email:
        _refuse(
            f"This invitation was sent to {invitation.email}, but your identity provider gave "
            f"{email or 'no verified e-mail address'}, so it cannot be accepted. Sign in "
            "with the invited account, or ask a team admin to invite the address you use.",
            "invitation_email_mismatch",
            claims,
        )
    return invitation


def _join_team(invitation: TeamInvitation, user: User, claims: dict[str, Any]) -> None:
    try:
        invitations.join(invitation, user)
    except OutpostError as error:  # a linked account whose e-mail is another one
        _refuse(error.message, error.code, claims, user)


def sign_in(
    settings: OidcSettings,
    issuer: str,
    claims: dict[str, Any],
    *,
    team_invitation: str | None = None,
) -> User:
    """The user the provider's verified ID-token ``claims`` sign in as; with the token of a
    ``team_invitation``, they also join that team with the invited role.

    Records the sign-in like a password sign-in (activity, last active, audit). Raises
    SsoRefused (status 403, recorded in the audit log with its reason) for an unverified
    e-mail matching an account, an unknown person with provisioning off, a deactivated user,
    a full seat count, or a team invitation that is not valid or not for the verified e-mail.
    """
    subject = str(claims.get("sub") or "")
    if not subject:
        _refuse("The identity provider sent no subject ('sub').", "no_subject", claims)
    invitation = _team_invitation(team_invitation, claims) if team_invitation else None
    identity = db.session.scalar(
        select(UserIdentity).where(UserIdentity.issuer == issuer, UserIdentity.subject == subject)
    )
    if identity is not None:
        user = db.session.get(User, identity.user_id)
    else:
        user = _first_sign_in(settings, issuer, claims, team_invited=invitation is not None)
        identity = db.session.scalar(
            select(UserIdentity).where(
                UserIdentity.issuer == issuer, UserIdentity.subject == subject
            )
        )
    if user is None or not user.is_active:
        _refuse(
            "This Outpost account is deactivated. Ask an admin to reactivate it.",
            "deactivated",
            claims,
            user,
        )
    if invitation is not None:
        _join_team(invitation, user, claims)
    sso_groups.apply_rules(user, claims)
    now = utcnow()
    identity.last_sign_in_at = now
    activity.note_sign_in(user, now)
    user.last_active_at = now
    audit.record("user:login", target=user, actor=user, details={"method": "oidc"})
    db.session.commit()
    return user


def refuse_attempt(error: SsoRefused) -> None:
    """Record a sign-in refused before any claims were trusted (state, token, provider)."""
    db.session.rollback()
    audit.record_now(
        "user:login",
        result="failure",
        actor_name="",
        details={"method": "oidc", "reason": error.reason},
    )
