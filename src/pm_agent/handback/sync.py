"""``pm-agent actions sync``: the state of each remembered action's issue, read again from the tracker.

Only issues of the configured tracker are asked about (a link to another tracker is left as it
is); the states are stored on the memory's tracked actions, so ``actions list`` shows which issues
the tracker has closed. An action's own status (``actions done``) is left to the team.
"""

from __future__ import annotations

from collections import defaultdict

from pm_agent.errors import ConfigError
from pm_agent.handback.core import MemoryAccess
from pm_agent.handback.ledger import FiledIssue
from pm_agent.handback.trackers import GitHubIssues, JiraCloud, Tracker, configured_tracker
from pm_agent.memory.actions import TrackedAction
from pm_agent.settings import Settings


def issue_of(tracker: Tracker, url: str) -> FiledIssue | None:
    """The issue a link names, when it is one of ``tracker``'s (``.../issues/12``, ``<site>/browse/OPS-7``)."""
    head, _, last = url.rstrip("/").rpartition("/")
    if isinstance(tracker, GitHubIssues) and head.endswith(f"/{tracker.repo}/issues") and last.isdigit():
        return FiledIssue(tracker=tracker.name, key=f"#{last}", url=url)
    if isinstance(tracker, JiraCloud) and head == f"{tracker.site}/browse" and last:
        return FiledIssue(tracker=tracker.name, key=last, url=url)
    return None


def sync_action_states(settings: Settings, memory: MemoryAccess) -> list[TrackedAction]:
    """Ask the tracker for the state of every linked action's issue and store it; the actions asked about, as
    tracked now."""
    tracker = configured_tracker(settings)
    if tracker is None:
        raise ConfigError("actions sync reads issue states from a tracker: set PM_AGENT_TRACKER=github or jira")
    linked = [action for action in memory(lambda store: store.list_actions(include_done=True)) if action.tracker_url]
    links: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    asked = []
    for action in linked:
        issue = issue_of(tracker, action.tracker_url)
        if issue is None:
            continue
        state = tracker.state(issue)
        links[action.incident_id][action.title] = (action.tracker_url, state)
        asked.append(action.model_copy(update={"tracker_state": state}))
    for incident_id, by_title in links.items():
        memory(lambda store, incident_id=incident_id, by_title=by_title: store.link_actions(incident_id, by_title))
    return asked
