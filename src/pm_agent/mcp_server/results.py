"""Tool results that wrap a list: MCP structured output must be an object, not a bare array."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pm_agent.models import ActionItem, ActionLint


class ProposedActions(BaseModel):
    """SMART actions proposed for one incident's causes and contributing factors."""

    incident_id: str
    actions: list[ActionItem]


class ActionCheck(BaseModel):
    """The SMART check of a list of action items."""

    all_smart: bool = Field(description="True when every action passed.")
    checks: list[ActionLint]
