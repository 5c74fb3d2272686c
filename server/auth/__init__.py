"""Authentication and authorization: principals, the permission table, ``authorize``."""

from .declare import public, requires
from .policy import authorize, authorize_role_change, can

__all__ = ["authorize", "authorize_role_change", "can", "public", "requires"]
