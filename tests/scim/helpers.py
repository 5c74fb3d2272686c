"""Helpers for the SCIM tests: a token, request headers and common payloads."""

from __future__ import annotations

from server.services import scim_tokens

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ROLE_SCHEMA = "urn:outpost:params:scim:schemas:core:2.0:Role"
TEAM_ROLES = "urn:outpost:params:scim:schemas:extension:2.0:User"
SCIM_JSON = "application/scim+json"


def scim_headers(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON, **extra}


def new_token(name: str = "okta") -> str:
    return scim_tokens.create_token(name)[1]


def user_body(user_name: str, email: str | None = None, **extra) -> dict:
    body = {"schemas": [USER_SCHEMA], "userName": user_name, **extra}
    if email:
        body["emails"] = [{"value": email, "type": "work", "primary": True}]
    return body


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}
