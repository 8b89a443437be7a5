"""Timeline reconstruction: the phase of each event, the key times, and detection/response metrics.

Both read the one tagging of the incident (:func:`pm_agent.analysis.evidence.read_incident`): an
event's phase follows its tags and where it falls against the key moments. Key times come from
the input when it states them, else from the events that mark them. A metric whose two ends are
not both known is reported as unknown, with the question that would settle it; nothing is
estimated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pm_agent.analysis.evidence import Reading, read_incident
from pm_agent.analysis.quoting import shorten
from pm_agent.analysis.tagging import Tagged
from pm_agent.ingest.timeparse import format_utc
from pm_agent.models import Incident, Metric, TimelineEvent

DETECTION_GRACE = dt.timedelta(minutes=5)
# After detection, the first tag an event carries in this order decides its phase.
PHASE_BY_TAG = (
    ("resolution", "resolution"),
    ("mitigation", "mitigation"),
    ("recovery", "mitigation"),
    ("progress", "mitigation"),
    ("declaration", "escalation"),
    ("acknowledgement", "escalation"),
    ("finding", "diagnosis"),
    ("cause_statement", "diagnosis"),
    ("negative", "diagnosis"),
    ("investigation", "diagnosis"),
    ("observation", "diagnosis"),
    ("change", "mitigation"),
)
PHASE_TAGS = frozenset(tag for tag, _ in PHASE_BY_TAG)


@dataclass(frozen=True)
class KeyTime:
    """A key moment, and where it came from."""

    at: dt.datetime | None
    basis: str


@dataclass(frozen=True)
class KeyTimes:
    started: KeyTime
    detected: KeyTime
    acknowledged: KeyTime
    mitigated: KeyTime
    resolved: KeyTime


def classify_phases(incident: Incident, reading: Reading | None = None) -> list[TimelineEvent]:
    """The events with a phase each: trigger, detection, escalation, diagnosis, mitigation, resolution.

    Tags decide first; position against the key times breaks ties, so that a deploy before
    detection is a trigger while a deploy after it is a mitigation.
    """
    reading = reading or read_incident(incident)
    return [t.event.model_copy(update={"phase": _phase_of(t, reading)}) for t in reading.events]


def _phase_of(tagged: Tagged, reading: Reading) -> str:
    at, detected, incident, started = tagged.at, reading.detected, reading.incident, reading.started
    if incident.resolved_at and at >= incident.resolved_at:
        return "resolution"
    if detected and at == detected and tagged.source != "deploy":
        return "detection"
    before_detection = detected is not None and at < detected
    if before_detection or (started and at <= started):
        noticed = tagged.has("alert", "report")
        return "detection" if noticed and (not started or at > started) else "trigger"
    if not tagged.tags.isdisjoint(PHASE_TAGS):
        return next(phase for tag, phase in PHASE_BY_TAG if tag in tagged.tags)
    if tagged.source == "deploy":
        return "mitigation"
    near_detection = detected is None or at <= detected + DETECTION_GRACE
    if tagged.has("alert") or (near_detection and tagged.has("report", "symptom")):
        return "detection"
    if tagged.source == "page":
        return "escalation"
    return "diagnosis"


def key_times(incident: Incident, reading: Reading | None = None) -> KeyTimes:
    """The five key moments, each stated by the input or marked by an event, else unknown."""
    reading = reading or read_incident(incident)
    ack = next((t for t in reading.events if t.has("acknowledgement")), None)
    acknowledged = (
        KeyTime(incident.acknowledged_at, "acknowledged_at (input)")
        if incident.acknowledged_at
        else KeyTime(ack.at, f"first acknowledgement ({ack.source}: {shorten(ack.text)})")
        if ack
        else KeyTime(None, "")
    )
    return KeyTimes(
        started=KeyTime(reading.started, reading.started_basis),
        detected=KeyTime(reading.detected, reading.detected_basis),
        acknowledged=acknowledged,
        mitigated=KeyTime(reading.mitigated, reading.mitigated_basis),
        resolved=KeyTime(reading.resolved, reading.resolved_basis),
    )


def compute_metrics(incident: Incident, reading: Reading | None = None) -> list[Metric]:
    """Time to detect, acknowledge, mitigate, resolve, and the duration, or why each is unknown."""
    times = key_times(incident, reading)
    return [
        _metric("time_to_detect", "Time to detect", times.started, times.detected, START_QUESTION, DETECT_QUESTION),
        _metric(
            "time_to_acknowledge",
            "Time to acknowledge",
            times.detected,
            times.acknowledged,
            DETECT_QUESTION,
            "When did a responder acknowledge the alert or page?",
        ),
        _metric(
            "time_to_mitigate",
            "Time to mitigate",
            times.started,
            times.mitigated,
            START_QUESTION,
            "When did user impact stop (mitigation took effect)?",
        ),
        _metric(
            "time_to_resolve",
            "Time to resolve (from detection)",
            times.detected,
            times.resolved,
            DETECT_QUESTION,
            RESOLVE_QUESTION,
        ),
        _metric(
            "duration",
            "Duration (start to resolution)",
            times.started,
            times.resolved,
            START_QUESTION,
            RESOLVE_QUESTION,
        ),
    ]


START_QUESTION = "When did the impact begin (first failing request or first affected user)?"
DETECT_QUESTION = "When was the problem first detected, and by what (alert, customer report, engineer)?"
RESOLVE_QUESTION = "When was the incident resolved (impact over and no further action needed)?"


def _metric(name: str, label: str, start: KeyTime, end: KeyTime, start_q: str, end_q: str) -> Metric:
    if start.at is None or end.at is None:
        question = start_q if start.at is None else end_q
        return Metric(name=name, label=label, start=start.at, end=end.at, question=question)
    minutes = (end.at - start.at).total_seconds() / 60
    basis = f"{start.basis} {format_utc(start.at)} → {end.basis} {format_utc(end.at)}"
    if minutes < 0:
        return Metric(
            name=name,
            label=label,
            start=start.at,
            end=end.at,
            basis=basis,
            question=f"The {end.basis} comes before the {start.basis}; which of the two times is right?",
        )
    return Metric(name=name, label=label, minutes=minutes, start=start.at, end=end.at, basis=basis)
