"""Database models, one module per domain noun."""

from .activity import ActivityDaily, ActivityDayTotal, ActivityMonthly, TeamStorageUsage
from .api_key import ApiKey
from .artifact import ArtifactAlias, ArtifactCollection, ArtifactFile, ArtifactVersion
from .artifact_use import RunArtifactUse
from .audit import AuditEvent
from .console_session import ConsoleSession
from .github import GithubConnection
from .identity import UserIdentity
from .invitation import TeamInvitation
from .membership import Membership
from .profile import UserProfile
from .project import Project
from .registry import ModelAlias, ModelVersion, ProtectedAlias, RegisteredModel
from .report import Report, ReportComment, ReportFollow
from .role import CustomRole
from .run import Run, RunFile, RunHistoryRow
from .run_metrics import RunMetricBucket
from .run_stream import RunStreamLine
from .scim_token import ScimToken
from .setting import InstanceSetting
from .sso_group import SsoGroupRule, SsoTeamGrant
from .sweep import Sweep
from .team import Team
from .user import User
from .user_invite import UserInvite

__all__ = [
    "ActivityDaily",
    "ActivityDayTotal",
    "ActivityMonthly",
    "ApiKey",
    "ArtifactAlias",
    "ArtifactCollection",
    "ArtifactFile",
    "ArtifactVersion",
    "AuditEvent",
    "ConsoleSession",
    "CustomRole",
    "GithubConnection",
    "InstanceSetting",
    "Membership",
    "ModelAlias",
    "ModelVersion",
    "Project",
    "ProtectedAlias",
    "RegisteredModel",
    "Report",
    "ReportComment",
    "ReportFollow",
    "Run",
    "RunArtifactUse",
    "RunFile",
    "RunHistoryRow",
    "RunMetricBucket",
    "RunStreamLine",
    "ScimToken",
    "SsoGroupRule",
    "SsoTeamGrant",
    "Sweep",
    "Team",
    "TeamInvitation",
    "TeamStorageUsage",
    "User",
    "UserIdentity",
    "UserInvite",
    "UserProfile",
]
