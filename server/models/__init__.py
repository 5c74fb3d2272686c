"""Database models, one module per domain noun."""

from .api_key import ApiKey
from .audit import AuditEvent
from .invitation import TeamInvitation
from .membership import Membership
from .profile import UserProfile
from .project import Project
from .role import CustomRole
from .setting import InstanceSetting
from .team import Team
from .user import User
from .user_invite import UserInvite

__all__ = [
    "ApiKey",
    "AuditEvent",
    "CustomRole",
    "InstanceSetting",
    "Membership",
    "Project",
    "Team",
    "TeamInvitation",
    "User",
    "UserInvite",
    "UserProfile",
]
