"""Contributing factors the data shows: conditions that let the trigger become an incident, each quoting its events.

Every factor is read off the tags of one or more events (see :mod:`pm_agent.analysis.vocabulary`):
how the failure was noticed, warning signs before it, changes the data calls unintended, recovery
steps that failed, were held up or had to be repeated, manual steps, assumptions that did not hold,
recurrences, alert noise, a late declaration, hand-overs and safeguards someone wrote down as
missing. None names a person; none is more than the quoted events say.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.clauses import said_as
from pm_agent.analysis.evidence import Reading, is_slow
from pm_agent.analysis.quoting import said, when
from pm_agent.analysis.tagging import Tagged, linked
from pm_agent.ingest.timeparse import format_minutes

MAX_PER_KIND = 2
REPEATS_WORTH_NAMING = 3
T = vocab.TAG_PATTERNS


def contributing_factors(reading: Reading) -> list[str]:
    """The factors in a fixed order, each once."""
    found: list[str] = []
    for finder in FINDERS:
        for factor in finder(reading):
            if factor not in found:
                found.append(factor)
    return found


def _window(reading: Reading) -> list[Tagged]:
    """The events up to the end of the impact: later ones belong to the follow-up."""
    end = reading.mitigated or reading.resolved
    return [t for t in reading.events if end is None or t.at <= end]


def people_noticed(reading: Reading) -> list[str]:
    detection = reading.detection
    if not reading.reported_by_people or detection is None:
        return []
    factor = f"A person noticed the failure before monitoring did: {said(detection.event, T['report'])}."
    alert = reading.first_monitoring_alert
    if alert is not None and alert.at > detection.at:
        factor += f" The first alert followed: {said(alert.event)}."
    elif alert is None:
        factor += " No alert appears in the data before it."
    return [factor]


def slow_detection(reading: Reading) -> list[str]:
    if reading.reported_by_people or reading.detection is None or not is_slow(reading.detection_lag):
        return []
    lag = format_minutes(reading.detection_lag.total_seconds() / 60)
    return [
        f"The failure went unnoticed for {lag}: it started at {when(reading.started)} and was first detected by "
        f"{said(reading.detection.event)}."
    ]


def warning_signs(reading: Reading) -> list[str]:
    start = reading.trigger.at if reading.trigger else reading.started
    if start is None:
        return []
    early = [t for t in reading.events if t.at < start and t.has("symptom", "alert") and t is not reading.trigger]
    return [f"A warning sign came before the incident: {said(t.event, T['symptom'])}." for t in early[:1]]


def unintended_changes(reading: Reading) -> list[Tagged]:
    """The changes the data calls unintended up to the end of the impact: one after it ("cleanup job unexpectedly
    ran", hours after recovery, told in a separate postmortem) did not shape this incident."""
    return [t for t in _window(reading) if t.has("unintended")]


def unintended(reading: Reading) -> list[str]:
    hits = unintended_changes(reading)[:MAX_PER_KIND]
    return [f"The data records a change as unintended or unexpected: {said(t.event, T['unintended'])}." for t in hits]


def failed_steps(reading: Reading) -> list[str]:
    failed = [a.step for a in reading.attempts if a.outcome == "failed"][:MAX_PER_KIND]
    return [f"A recovery step did not work: {said(t.event, T['failed'])}." for t in failed]


# "State lock forcefully cleared", "lock released by hand": the step that ended a hold-up names what held it up.
_CLEARED_RE = re.compile(
    r"\b(?:clear(?:ed|ing)?|releas(?:ed|ing)|lift(?:ed|ing)|unblock\w*|unlock\w*|broke|broken|removed)\b", re.I
)


_NOT_RE = re.compile(r"\b(?:not|never|unable|cannot|failed)\b|n't\b", re.I)


def _clears_the_block(tagged: Tagged) -> bool:
    """A step that ended what held recovery up ("State lock forcefully cleared"): it names the lock, but is no hold-up.
    Not one that says the block could not be cleared ("lock could not be released")."""
    return bool(_CLEARED_RE.search(tagged.text)) and not _NOT_RE.search(tagged.text) and not tagged.has("failed")


def held_up(reading: Reading) -> list[str]:
    failed = {a.step.order for a in reading.attempts if a.outcome == "failed"}
    since = reading.detected or reading.started
    hits = [
        t
        for t in _window(reading)
        if t.has("blocked")
        and t.order not in failed
        and not t.has("report", "alert")  # what monitoring or a person saw is the failure, not recovery held up
        and not _clears_the_block(t)
        and (since is None or t.at >= since)
    ][:MAX_PER_KIND]
    retries = [t for t in _window(reading) if t.has("retry") and t.order not in failed][:MAX_PER_KIND]
    return [f"Recovery was held up: {said(t.event, T['blocked'])}." for t in hits] + [
        f"Recovery needed a repeated attempt: {said(t.event, T['retry'])}." for t in retries
    ]


def manual_steps(reading: Reading) -> list[str]:
    since = reading.started
    hits = [t for t in _window(reading) if t.has("manual") and (since is None or t.at >= since)][:MAX_PER_KIND]
    return [f"Recovery relied on a manual step: {said(t.event, T['manual'])}." for t in hits]


def assumptions(reading: Reading) -> list[str]:
    return [
        f"The response worked for a while from an assumption or a finding that did not hold: {said(t.event, T['negative'])}."
        for t in reading.negatives[:1]
    ]


def more_reports(reading: Reading) -> list[str]:
    detection = reading.detection
    if detection is None or not reading.reported_by_people:
        return []
    end = reading.mitigated
    more = [
        t
        for t in reading.events
        if t.at > detection.at and (end is None or t.at < end) and t.has("report") and not t.has("recovery")
    ][:MAX_PER_KIND]
    return [f"Further reports arrived before recovery: {said(t.event, T['report'])}." for t in more]


def recurrences(reading: Reading) -> list[str]:
    repeats = reading.tagged("repeat", dated_only=True)
    if len(repeats) < REPEATS_WORTH_NAMING:
        return []
    first, last = repeats[0], repeats[-1]
    return [
        f"The failure recurred {len(repeats)} times in the data before it was fixed, first: {said(first.event)}; last: {said(last.event)}."
    ]


def alert_noise(reading: Reading) -> list[str]:
    noisy = [t for t in _window(reading) if t.has("noise")][:MAX_PER_KIND]
    factors = [f"Alert noise: {said(t.event, T['noise'])}." for t in noisy]
    same: dict[str, list[Tagged]] = {}
    for alert in (t for t in _window(reading) if t.has("alert")):
        same.setdefault(alert.text, []).append(alert)
    for repeats in same.values():
        if len(repeats) >= REPEATS_WORTH_NAMING:
            factors.append(f"The same alert fired {len(repeats)} times, first: {said(repeats[0].event)}.")
    return factors


def late_declaration(reading: Reading) -> list[str]:
    late = reading.late_declaration
    return (
        [f"The incident was declared after the impact had stopped: {said(late.event, T['declaration'])}."]
        if late
        else []
    )


def hand_overs(reading: Reading) -> list[str]:
    hit = next((t for t in _window(reading) if t.has("handover")), None)
    return [f"Work was handed over between teams during the incident: {said(hit.event, T['handover'])}."] if hit else []


# A check's own verdict of success: "all 412 batches reported OK", "smoke tests passed", "health checks green".
PASSED_CHECK_RE = re.compile(
    r"\b(?:all\s+(?:[\w-]+\s+){0,3}(?:reported|returned|came back|were)\s+(?:OK|okay|green|successful\w*|fine)|"
    r"(?:checks?|tests?|validations?|verification|canary|canaries)\s+(?:\w+\s+){0,2}(?:passed|succeeded|green|OK)|"
    r"reported\s+(?:OK|okay|success\w*))\b",
    re.IGNORECASE,
)
# What is found later is a statement about the system, not a step, a signal or the response's own bookkeeping.
_VERDICT_RE = re.compile(r"ok|passed|green|succe|fine", re.IGNORECASE)  # a cheap first look over every event
_NOT_FOUND_LATER = (
    "recovery",
    "mitigation",
    "retry",
    "change",
    "report",
    "alert",
    "resolution",
    "communication",
    "investigation",
    "acknowledgement",
    "declaration",
)


def passed_checks(reading: Reading) -> list[str]:
    """A check that reported success before detection, and what was found later about the same thing (the two events
    share a specific word): the data shows the check passing with the failure in place; why it passed is for the
    review to ask."""
    detected = reading.detected
    checked = [
        t
        for t in reading.events
        if (detected is None or t.at < detected)
        and _VERDICT_RE.search(t.text)
        and PASSED_CHECK_RE.search(t.text)
        and not t.has("report", "alert")
    ]
    if not checked:
        return []
    check = checked[0]
    found = [t for t in _window(reading) if t.at > check.at and not t.has(*_NOT_FOUND_LATER) and linked(check, t)]
    if not found:
        return []
    later = max(found, key=lambda t: (len(linked(check, t)), -t.order))  # names most of what the check was about
    verdict = next(part for part in re.split(r";\s*", check.text) if PASSED_CHECK_RE.search(part))
    return [
        f"A check reported success before the failure was found: {said(check.event.model_copy(update={'text': verdict}))}"
        f"; what was found later: {said(later.event)}."
    ]


def stated_gaps(reading: Reading) -> list[str]:
    return [
        f"The data records a missing safeguard: {said_as(t.event, 'gap')}."
        for t in reading.tagged("gap")[:MAX_PER_KIND]
    ]


FINDERS: tuple[Callable[[Reading], list[str]], ...] = (
    people_noticed,
    slow_detection,
    warning_signs,
    unintended,
    stated_gaps,
    passed_checks,
    failed_steps,
    held_up,
    manual_steps,
    assumptions,
    more_reports,
    recurrences,
    alert_noise,
    late_declaration,
    hand_overs,
)
