"""Handing a draft back to the team: action items filed once in GitHub Issues or Jira Cloud, the links written
into the draft and the memory, and a short summary posted to the incident's Slack channel.

The worker calls :func:`hand_back` after a draft is written and remembered. Nothing is sent unless a tracker
(``PM_AGENT_TRACKER``) or a Slack token (``PM_AGENT_SLACK_TOKEN``) is configured.
"""

from pm_agent.handback.core import HandBackReport, LinkedAction, draft_version, hand_back, ledger_folder
from pm_agent.handback.http import DEFAULT_POLICY
from pm_agent.handback.pending import PendingHandBacks

__all__ = [
    "DEFAULT_POLICY",
    "HandBackReport",
    "LinkedAction",
    "PendingHandBacks",
    "draft_version",
    "hand_back",
    "ledger_folder",
]
