"""``/system/activity``: the activity dashboard's figures as JSON (system admins)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..services.activity_report import build_dashboard
from . import api
from .routing import endpoint


class ActivityQuery(BaseModel):
    period: Literal["30d", "3m", "6m", "12m", "all"] = Field(
        default="30d", description="30d, 3m, 6m, 12m or all."
    )


@endpoint(
    api,
    "/system/activity",
    "GET",
    permission="system:activity",
    query=ActivityQuery,
    summary="Activity: DAU/WAU/MAU, active users and runs per day, users by state, seats, "
    "storage per team, most active users and teams",
)
def get_activity(query: ActivityQuery):
    return build_dashboard(query.period).to_dict()
