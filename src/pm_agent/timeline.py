"""Timeline reconstruction: phase of each event, key times, and detection/response metrics.

Key times come from the input when it states them, else from the events that mark them.
A metric whose two ends are not both known is reported as unknown, with the question that
would settle it; nothing is estimated.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pm_agent.models import Incident, Metric, TimelineEvent
from pm_agent.prefilter import QuickPattern, quick
from pm_agent.timeparse import format_utc

PHASE_PATTERNS: dict[str, QuickPattern] = {
    "resolution": quick(
        r"\b(resolved|resolution|all[- ]clear|closed the incident|incident (?:is )?closed|"
        r"fully (?:recovered|restored)|verified operational|marked as resolved)\b",
        re.I,
    ),
    "mitigation": quick(
        r"\b(roll(?:ed|ing)? ?back|revert(?:ed|ing)?|fail(?:ed|ing)? ?over|restart(?:ed|ing)?|reboot(?:ed)?|"
        r"scal(?:ed|ing) (?:up|out|down)|mitigat\w*|hotfix|fix (?:deployed|committed|applied|released|rolled out)|"
        r"disabl(?:ed|ing)|re-?enabl\w*|drain(?:ed|ing)?|cordon\w*|block(?:ed|ing)|rate[- ]limit\w*|"
        r"recover(?:ed|ing|y)|restor(?:ed|ing)|reattach\w*|redeploy\w*|patch(?:ed|ing)?|workaround|"
        r"purg(?:ed|ing)|flush(?:ed|ing)|terminat(?:ed|ing)|kill(?:ed|ing)|free up|removed|remov(?:e|ing) the|"
        r"replac(?:ed|ing)|added (?:capacity|nodes)|new nodes?)\b",
        re.I,
    ),
    "escalation": quick(
        r"\b(escalat\w*|paged|paging|acknowledg\w*|ack'?d|incident (?:declared|opened|created)|declared|"
        r"incident commander|bridge|war ?room|joined|assigned|notif(?:ied|y)|status ?page|statuspage)\b",
        re.I,
    ),
    "diagnosis": quick(
        r"\b(investigat\w*|looking into|diagnos\w*|identified|root cause|(?<!not )(?<!n't )found|discovered|concluded|suspect\w*|"
        r"hypothes\w*|check(?:ed|ing)|debug\w*|traced|narrowed|correlat\w*|logs? show|appears to|seems to|"
        r"analy[sz]\w*)\b",
        re.I,
    ),
    "detection": quick(
        r"\b(alert\w*|alarm\w*|firing|triggered|detected|noticed|report(?:ed|ing|s)?|spike\w*|elevated|"
        r"threshold|degraded|error rate|5\d\dx?s?|timeouts?|unavailable|outage|failing)\b",
        re.I,
    ),
}
DETECTION_GRACE = dt.timedelta(minutes=5)
ACK_PATTERN = quick(r"\b(acknowledg\w*|ack'?d|\back\b|on it|i'?m looking|taking a look)\b", re.I)
RECOVERY_PATTERN = quick(
    r"\b(mitigated|recovered|recovering|back to normal|error rates? (?:dropped|back)|latency (?:back|recovered)|"
    r"service (?:restored|recovered)|restored|traffic (?:back|recovered)|impact (?:ended|stopped)|"
    r"roll(?:ed)? ?back (?:complete|completed|finished|done)|rollback (?:complete|completed|finished|done))\b",
    re.I,
)
RESOLVED_PATTERN = quick(r"\b(resolved|all[- ]clear|incident closed|closed the incident|fully recovered)\b", re.I)


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


def classify_phases(incident: Incident) -> list[TimelineEvent]:
    """The events with a phase each: trigger, detection, escalation, diagnosis, mitigation, resolution.

    Words decide first; position against the known key times breaks ties, so that a deploy
    before detection is a trigger while a deploy after it is a mitigation.
    """
    detected = incident.detected_at or _first(incident.events, lambda e: e.source in ("alert", "page"))
    out = []
    for event in incident.events:
        out.append(event.model_copy(update={"phase": _phase_of(event, incident, detected)}))
    return out


def _phase_of(event: TimelineEvent, incident: Incident, detected: dt.datetime | None) -> str:
    at, text = event.at, event.text
    if incident.resolved_at and at >= incident.resolved_at:
        return "resolution"
    if detected and at == detected and event.source != "deploy":
        return "detection"
    before_detection = detected is not None and at < detected
    if before_detection or (incident.started_at and at <= incident.started_at):
        if event.source == "alert" or PHASE_PATTERNS["detection"].search(text):
            return "detection" if not incident.started_at or at > incident.started_at else "trigger"
        return "trigger"
    for phase in ("resolution", "mitigation", "escalation", "diagnosis"):
        if PHASE_PATTERNS[phase].search(text):
            return phase
    if event.source == "deploy":
        return "mitigation"
    near_detection = detected is None or at <= detected + DETECTION_GRACE
    if event.source == "alert" or (near_detection and PHASE_PATTERNS["detection"].search(text)):
        return "detection"
    if event.source == "page":
        return "escalation"
    return "diagnosis"


def key_times(incident: Incident, events: list[TimelineEvent]) -> KeyTimes:
    """The five key moments, each stated by the input or marked by an event, else unknown."""
    return KeyTimes(
        started=_explicit(incident.started_at, "started_at")
        or _marked(events, lambda e: e.phase == "trigger", "first trigger event")
        or KeyTime(None, ""),
        detected=_explicit(incident.detected_at, "detected_at")
        or _marked(events, lambda e: e.phase == "detection" or e.source == "alert", "first detection event")
        or KeyTime(None, ""),
        acknowledged=_explicit(incident.acknowledged_at, "acknowledged_at")
        or _marked(events, lambda e: bool(ACK_PATTERN.search(e.text)), "first acknowledgement")
        or KeyTime(None, ""),
        mitigated=_explicit(incident.mitigated_at, "mitigated_at")
        or _marked(events, lambda e: bool(RECOVERY_PATTERN.search(e.text)), "first recovery event")
        or KeyTime(None, ""),
        resolved=_explicit(incident.resolved_at, "resolved_at")
        or _marked(reversed(events), lambda e: bool(RESOLVED_PATTERN.search(e.text)), "last resolution event")
        or KeyTime(None, ""),
    )


def compute_metrics(incident: Incident, events: list[TimelineEvent] | None = None) -> list[Metric]:
    """Time to detect, acknowledge, mitigate, resolve, and the duration, or why each is unknown."""
    events = events if events is not None else classify_phases(incident)
    times = key_times(incident, events)
    return [
        _metric("time_to_detect", "Time to detect", times.started, times.detected, START_QUESTION, DETECT_QUESTION),
        _metric(
            "time_to_acknowledge", "Time to acknowledge", times.detected, times.acknowledged,
            DETECT_QUESTION, "When did a responder acknowledge the alert or page?",
        ),
        _metric(
            "time_to_mitigate", "Time to mitigate", times.started, times.mitigated,
            START_QUESTION, "When did user impact stop (mitigation took effect)?",
        ),
        _metric("time_to_resolve", "Time to resolve (from detection)", times.detected, times.resolved,
                DETECT_QUESTION, RESOLVE_QUESTION),
        _metric("duration", "Duration (start to resolution)", times.started, times.resolved,
                START_QUESTION, RESOLVE_QUESTION),
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
            name=name, label=label, start=start.at, end=end.at, basis=basis,
            question=f"The {end.basis} comes before the {start.basis}; which of the two times is right?",
        )
    return Metric(name=name, label=label, minutes=minutes, start=start.at, end=end.at, basis=basis)


def _explicit(moment: dt.datetime | None, field: str) -> KeyTime | None:
    return KeyTime(moment, f"{field} (input)") if moment else None


def _marked(events, predicate, basis: str) -> KeyTime | None:
    event = next((e for e in events if predicate(e)), None)
    if event is None:
        return None
    return KeyTime(event.at, f"{basis} ({event.source}: {_short(event.text)})")


def _first(events: list[TimelineEvent], predicate) -> dt.datetime | None:
    return next((e.at for e in events if predicate(e)), None)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
