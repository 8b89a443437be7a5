"""The three kinds of Five Whys step: one resting on events (:func:`cited`), a question the data leaves open
(:func:`ask`), and one a fact the user stated answers (:func:`stated`)."""

from __future__ import annotations

import re

from pm_agent.analysis.quoting import evidence, quote
from pm_agent.analysis.tagging import Tagged
from pm_agent.models import Evidence, TimelineEvent, WhyStep

OPEN = "Not established by the data."


def cited(why: str, because: str, *events: Tagged | TimelineEvent, focus: re.Pattern[str] | None = None) -> WhyStep:
    """A step resting on events; ``because`` quotes them."""
    return WhyStep(why=why, because=because, evidence=[step_evidence(e, focus) for e in events], hypothesis=False)


def ask(why: str, question: str) -> WhyStep:
    """A step the data does not answer: the question the review must settle."""
    return WhyStep(why=why, because=OPEN, question=question, hypothesis=True)


def stated(why: str, fact: str) -> WhyStep:
    """A step answered by a fact the user stated."""
    return WhyStep(why=why, because=fact, facts=[fact], hypothesis=False)


def step_evidence(item: Tagged | TimelineEvent, focus: re.Pattern[str] | None) -> Evidence:
    """What a step cites of an event (a tagged event or a bare one), quoted by the words ``focus`` matches."""
    event = item.event if isinstance(item, Tagged) else item
    if isinstance(event, TimelineEvent):
        return evidence(event, focus)
    return Evidence(source=event.source, excerpt=quote(event, focus), time_text=event.time_text)
