"""Database models, one module per domain noun."""

from .api_key import ApiKey
from .audit import AuditEvent
from .setting import InstanceSetting
from .user import User

__all__ = ["ApiKey", "AuditEvent", "InstanceSetting", "User"]
