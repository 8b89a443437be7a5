"""Naming an incident its files leave untitled: by the first event that states the failure.

A chat export or a bare timeline often opens with a deploy notice or a bot's chatter ("Deployed ledger-api 7.2.0",
"Reminder: retro notes due Friday"); the incident is what went wrong, so its title is the first event that states it:
an alert (also one a release gate posts: "Canary analysis FAILED ...; rollout halted"), or a symptom said by itself,
not inside a change, a step, a recovery or someone looking into it ("looking at the canary failure").
"""

from __future__ import annotations

from collections.abc import Sequence

from pm_agent.analysis.tagging import tags_of
from pm_agent.models import TimelineEvent

ENDED = frozenset({"recovery", "resolution"})  # "RESOLVED ...", "errors back to normal": the failure over
NOT_THE_FAILURE = frozenset({"change", "mitigation", "investigation"}) | ENDED
# The failure is stated early in any record: the events read for it, at most (a long channel costs no more than this).
EVENTS_READ = 500


def failure_title(events: Sequence[TimelineEvent]) -> str | None:
    """The text of the first event that states the failure, or None when none of the first events does."""
    for event in events[:EVENTS_READ]:
        tags = tags_of(event.text, event.source)
        if "alert" in tags and not tags & ENDED:
            return event.text
        if "symptom" in tags and event.source != "deploy" and not tags & NOT_THE_FAILURE:
            return event.text
    return None
