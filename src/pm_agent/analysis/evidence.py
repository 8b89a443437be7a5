"""One reading of an incident: every event tagged once, and the moments and events the analysis rests on.

:func:`read_incident` tags each event a single time (:func:`pm_agent.analysis.tagging.tags_of`) and marks the
moments (:mod:`pm_agent.analysis.moments`). The reading then answers what every part of a draft asks: when the
impact started, what set it off, how it was detected, what the team found and when, which recovery attempts
failed and which worked, when the impact stopped. Nothing here guesses: a moment the data does not mark is
``None``, and the parts of the draft that need it ask for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, wraps
from typing import TypeVar

from pm_agent.analysis.moments import (
    Attempt,
    credit_attempts,
    find_attempts,
    find_detection,
    find_mitigation,
    find_resolution,
    find_start,
    find_trigger,
)
from pm_agent.analysis.tagging import Tagged, notes_as_events, paged_by_person, passed_on_by_a_person, tags_of
from pm_agent.models import Incident

SLOW_DETECTION = dt.timedelta(minutes=30)


_T = TypeVar("_T")


def once_per_reading(read: Callable[[Reading], _T]) -> Callable[[Reading], _T]:
    """``read(reading)`` worked out once per reading and kept on it, for the readings the summary, findings, Five
    Whys, actions and lessons all ask of the same incident (a pass over every event each time otherwise)."""
    key = f"_once_{read.__module__}.{read.__qualname__}"

    @wraps(read)
    def once(reading: Reading) -> _T:
        kept = reading.__dict__
        if key not in kept:
            kept[key] = read(reading)
        return kept[key]

    return once


@dataclass(frozen=True)
class Reading:
    """The incident as the analysis reads it; any moment or event may be missing."""

    incident: Incident
    events: tuple[Tagged, ...]
    undated: tuple[Tagged, ...]
    started: dt.datetime | None
    started_basis: str
    trigger: Tagged | None
    detection: Tagged | None
    detected: dt.datetime | None
    detected_basis: str
    mitigated: dt.datetime | None
    mitigated_basis: str
    resolved: dt.datetime | None
    resolved_basis: str
    attempts: tuple[Attempt, ...] = field(default=())

    # --- selections -------------------------------------------------------------------------
    def tagged(self, *tags: str, dated_only: bool = False) -> list[Tagged]:
        """The events carrying any of ``tags``, dated ones in time order, then the undated."""
        index = self._by_tag
        found = sorted({t.order: t for tag in tags for t in index.get(tag, ())}.items())
        return [t for _, t in found if not dated_only or t.at is not None]

    @cached_property
    def _by_tag(self) -> dict[str, list[Tagged]]:
        index: dict[str, list[Tagged]] = {}
        for tagged in (*self.events, *self.undated):
            for tag in tagged.tags:
                index.setdefault(tag, []).append(tagged)
        return index

    def between(self, start: dt.datetime | None, end: dt.datetime | None) -> list[Tagged]:
        """Dated events from ``start`` to ``end`` (either open)."""
        return [t for t in self.events if (start is None or t.at >= start) and (end is None or t.at <= end)]

    @cached_property
    def first_alert(self) -> Tagged | None:
        return next((t for t in self.tagged("alert", dated_only=True) if self._after_start(t)), None)

    @cached_property
    def first_monitoring_alert(self) -> Tagged | None:
        """The first alert a monitor raised, never a page a person sent to pass a report on ("paged by support",
        "Support escalated ticket T-1 to the on-call") or acknowledging a page: those answer a signal, they are not one."""
        return next(
            (
                t
                for t in self.tagged("alert", dated_only=True)
                if self._after_start(t) and not paged_by_person(t) and not passed_on_by_a_person(t)
            ),
            None,
        )

    @cached_property
    def first_report(self) -> Tagged | None:
        return next((t for t in self.tagged("report", dated_only=True) if self._after_start(t)), None)

    @property
    def reported_by_people(self) -> bool:
        """The first signal was a person's report, with no alert before it."""
        return bool(self.detection and self.detection.has("report"))

    @property
    def detection_lag(self) -> dt.timedelta | None:
        return self.detected - self.started if self.detected and self.started else None

    @cached_property
    def findings(self) -> list[Tagged]:
        """Events that state something about the cause: a finding with content, a cause statement, an observation."""
        candidates = self.tagged("finding", "cause_statement", "observation")
        return [t for t in candidates if t.states_something and not t.has("negative")]

    @cached_property
    def late_declaration(self) -> Tagged | None:
        """The declaration, when it came only after the impact had stopped (or the data says it was retroactive)."""
        declarations = [t for t in self.tagged("declaration", dated_only=True) if not t.has("resolution")]
        retro = next((t for t in declarations if "retroactive" in t.text.lower()), None)
        if retro is not None:
            return retro
        first = declarations[0] if declarations else None
        return first if first is not None and self.mitigated is not None and first.at > self.mitigated else None

    @cached_property
    def negatives(self) -> list[Tagged]:
        return self.tagged("negative")

    def _after_start(self, tagged: Tagged) -> bool:
        return self.started is None or (tagged.at is not None and tagged.at >= self.started)


def read_incident(incident: Incident) -> Reading:
    """Tag every event once and find the moments and events the analysis rests on."""
    dated = sorted(incident.events, key=lambda e: e.at)
    events = tuple(Tagged(e, tags_of(e.text, e.source), i, e.at) for i, e in enumerate(dated))
    undated = tuple(
        Tagged(u, tags_of(u.text, u.source), len(events) + i)
        for i, u in enumerate([*incident.undated_events, *notes_as_events(incident.notes)])
    )
    trigger = find_trigger(events, incident)
    started, started_basis = find_start(incident, events, trigger)
    detection, detected, detected_basis = find_detection(incident, events, started)
    attempts = credit_attempts(tuple(find_attempts(events, detected or started)), events)
    mitigated, mitigated_basis = find_mitigation(incident, events, attempts, detected or started)
    resolved, resolved_basis = find_resolution(incident, events)
    if mitigated is None and resolved is not None and started is not None:
        mitigated, mitigated_basis = resolved, f"{resolved_basis}; no earlier recovery event"
    return Reading(
        incident=incident,
        events=events,
        undated=undated,
        started=started,
        started_basis=started_basis,
        trigger=trigger,
        detection=detection,
        detected=detected,
        detected_basis=detected_basis,
        mitigated=mitigated,
        mitigated_basis=mitigated_basis,
        resolved=resolved,
        resolved_basis=resolved_basis,
        attempts=attempts,
    )


def is_slow(lag: dt.timedelta | None) -> bool:
    """A detection or recovery lag long enough to ask about."""
    return lag is not None and lag > SLOW_DETECTION


__all__ = [
    "Reading",
    "is_slow",
    "once_per_reading",
    "read_incident",
]
