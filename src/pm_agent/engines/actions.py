"""SMART corrective and preventive actions: propose them, and lint the ones users write."""

from __future__ import annotations

import datetime as dt

from pm_agent.models import ActionItem, ActionLint, WhyChain


def propose_actions(
    chain: WhyChain,
    factors: list[str],
    incident_date: dt.date | None,
    roster: dict[str, str] | None = None,
) -> list[ActionItem]:
    """Actions for each root cause and factor, highest prevention level first."""
    raise NotImplementedError


def lint_actions(actions: list[ActionItem]) -> list[ActionLint]:
    """Check each action against SMART and the prevention hierarchy."""
    raise NotImplementedError
