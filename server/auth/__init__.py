"""Authentication and authorization: principals, the permission table, ``authorize``."""

from .declare import public, requires
from .policy import authorize, can

__all__ = ["authorize", "can", "public", "requires"]
