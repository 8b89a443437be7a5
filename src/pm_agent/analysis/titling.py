"""Naming an incident its files leave untitled: by the first event that states the failure.

A chat export or a bare timeline often opens with a deploy notice or a bot's chatter ("Deployed ledger-api 7.2.0",
"Reminder: retro notes due Friday"); the incident is what went wrong, so its title is the first event the vocabulary
reads as a symptom or an alert, never a change, a step taken or a recovery (those say what was done, not what failed).
"""

from __future__ import annotations

from collections.abc import Sequence

from pm_agent.analysis.evidence import tags_of
from pm_agent.models import TimelineEvent

FAILURE = frozenset({"symptom", "alert"})
NOT_THE_FAILURE = frozenset({"change", "mitigation", "recovery", "resolution"})
# The failure is stated early in any record: the events read for it, at most (a long channel costs no more than this).
EVENTS_READ = 500


def failure_title(events: Sequence[TimelineEvent]) -> str | None:
    """The text of the first event that states the failure, or None when none of the first events does."""
    for event in events[:EVENTS_READ]:
        if event.source == "deploy":
            continue
        tags = tags_of(event.text, event.source)
        if tags & FAILURE and not tags & NOT_THE_FAILURE:
            return event.text
    return None
