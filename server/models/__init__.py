"""Database models, one module per domain noun."""

from .activity import ActivityDaily, ActivityDayTotal, ActivityMonthly, TeamStorageUsage
from .api_key import ApiKey
from .audit import AuditEvent
from .invitation import TeamInvitation
from .membership import Membership
from .role import CustomRole
from .setting import InstanceSetting
from .team import Team
from .user import User

__all__ = [
    "ActivityDaily",
    "ActivityDayTotal",
    "ActivityMonthly",
    "ApiKey",
    "AuditEvent",
    "CustomRole",
    "InstanceSetting",
    "Membership",
    "Team",
    "TeamInvitation",
    "TeamStorageUsage",
    "User",
]
