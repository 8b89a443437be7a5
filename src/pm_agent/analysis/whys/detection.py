"""The detection branch of the Five Whys: why a person noticed the failure before monitoring did, why it was
detected late, or why it went unseen since a day its own words date it to before the record."""

from __future__ import annotations

import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.clauses import narrowed
from pm_agent.analysis.clauses import stated as meaning_of
from pm_agent.analysis.evidence import Reading, is_slow
from pm_agent.analysis.moments import dated_before_timeline
from pm_agent.analysis.quoting import quote, said, when
from pm_agent.analysis.tagging import Tagged, specific_stems
from pm_agent.analysis.whys.safeguard import gap_kind, matching_clause
from pm_agent.analysis.whys.steps import ask, cited
from pm_agent.ingest.timeparse import format_minutes
from pm_agent.models import WhyBranch, WhyStep


def detection_branch(reading: Reading) -> WhyBranch | None:
    """When a person noticed first, or detection came long after the start."""
    detection = reading.detection
    if detection is None:
        return None
    alert = reading.first_monitoring_alert
    if reading.reported_by_people:
        later = (
            f" The first alert followed: {said(alert.event)}."
            if alert and alert.at > detection.at
            else (" No alert appears in the data before it." if alert is None else "")
        )
        first = cited(
            "Why did a person notice it before monitoring did?",
            f"The first signal was a report: {said(detection.event)}.{later}",
            detection,
            *([alert] if alert and alert.at > detection.at else []),
        )
        if (
            alert is not None and alert.at > detection.at
        ):  # the times the input gives: a computed gap is no figure of it
            second = ask(
                "Why did the alert come after the report?",
                f'Why did "{quote(alert.event)}" fire only at {when(alert.at)}, after the first report at '
                f"{when(detection.at)}: what does it watch, and how fast?",
            )
        else:
            second = ask(
                "Why did no alert catch it?",
                f'Which signal shows "{_what_was_seen(detection, reading)}" to monitoring, and is anything alerting on it?',
            )
    elif is_slow(reading.detection_lag):
        first, second = _late_detection_steps(reading, detection)
    elif (earlier := dated_before_timeline(reading.events)) is not None and earlier is not detection:
        first, second = _dated_back_steps(reading, detection, earlier)
    else:
        return None
    root_gap = next((t for t in reading.tagged("gap") if gap_kind(t.text) == "alert"), None)
    if root_gap is not None:
        return WhyBranch(
            label="detection",
            steps=[first, second],
            systemic_kind="alert",
            root_cause=f"The data records a monitoring gap: {said(root_gap.event, vocab.TAG_PATTERNS['gap'])}.",
        )
    if reading.reported_by_people:
        question = f'What would have alerted on "{_what_was_seen(detection, reading)}" before a person did?'
    elif reading.detection_lag is None:  # the start is dated before the record: no lag to give
        question = (
            f'What would have alerted on "{quote(earlier.event)}" when it began, long before {when(detection.at)}?'
        )
    else:  # monitoring did catch it, late: ask for an earlier signal, not one that beats a person
        lag = format_minutes(reading.detection_lag.total_seconds() / 60)
        question = (
            f'What would have alerted on the failure sooner than "{quote(detection.event)}", {lag} after it began?'
        )
    return WhyBranch(label="detection", steps=[first, second], systemic_kind="unknown", root_cause_question=question)


def _late_detection_steps(reading: Reading, detection: Tagged) -> tuple[WhyStep, WhyStep]:
    """Why monitoring caught the failure late: what the data says showed it before the first alert (an event between
    the start and the detection, or a trend its own words date back), and why nothing alerted on that; where the
    data shows nothing earlier, both are questions. The detection itself answers neither: it is what came late."""
    lag = format_minutes(reading.detection_lag.total_seconds() / 60)
    why = f"Why was it first detected only {lag} after it began ({when(reading.started)})?"
    seen = visible_before_detection(reading, detection)
    if seen is not None:
        tag = "growth" if seen.has("growth") else "symptom"
        focus, shown = vocab.TAG_PATTERNS[tag], narrowed(seen.event, meaning_of(tag))
        earlier = (
            "a trend its words date back before the first alert"
            if seen.at is None or seen.at >= detection.at
            else "the failure before the first alert"
        )
        return (
            cited(why, f"The data shows {earlier}: {said(shown, focus)}.", seen, focus=focus),
            ask(
                "Why did nothing alert on that?",
                f'What watched "{quote(shown, focus)}", and why did it not alert before {when(detection.at)}?',
            ),
        )
    return (
        ask(
            why,
            f"What showed the failure between its start at {when(reading.started)} and the first alert at "
            f"{when(detection.at)} (a metric, a log, a queue, a user's report)? The data records nothing before that "
            "alert.",
        ),
        ask(
            "Why did no signal fire sooner?",
            f"What changed at {when(reading.started)} that monitoring could have seen, and which alert would have "
            "fired on it?",
        ),
    )


def _dated_back_steps(reading: Reading, detection: Tagged, earlier: Tagged) -> tuple[WhyStep, WhyStep]:
    """The failure's own words date it to a day before the record opens ("authentication failures since 2025-05-12"
    in a timeline of 2025-05-21): it went on unseen until the detection. What showed it is that event; why nothing
    alerted on it is the safeguard the same event records (its clause), else a question."""
    first = cited(
        f"Why was it found only at {when(detection.at)}?",
        f"The data dates the failure back before its timeline: {said(earlier.event)}.",
        earlier,
    )
    why = "Why did nothing alert on it sooner?"
    clause = matching_clause(earlier.text, vocab.TAG_PATTERNS["gap"]) if earlier.has("gap") else ""
    if clause:
        shown = said(earlier.event.model_copy(update={"text": clause}))
        return first, cited(
            why,
            f"The data records a missing safeguard in the same event: {shown}.",
            earlier,
            focus=vocab.TAG_PATTERNS["gap"],
        )
    return first, ask(
        why, f'What watched "{quote(earlier.event)}", and why did it not alert before {when(detection.at)}?'
    )


TREND_SINCE = re.compile(r"\b(?:since|for (?:the (?:last|past) )?(?:hours|days|weeks)|over the (?:last|past))\b", re.I)


def visible_before_detection(reading: Reading, detection: Tagged) -> Tagged | None:
    """What the data says showed the failure before it was detected: an event from the start to the detection that
    shows it (a symptom, a growth, an observation; not the change that set it off, not an alert, not a step taken),
    else a growth whose own words date it back ("memory grows steadily since v5.2.0")."""
    for tagged in reading.between(reading.started, detection.at):
        if tagged.at >= detection.at:
            break
        if (
            tagged is not reading.trigger
            and tagged.has("symptom", "growth", "observation")
            and not tagged.has("alert", "report", "recovery", "mitigation", "worked", "resolution")
        ):
            return tagged
    return next(
        (
            t
            for t in reading.tagged("growth", dated_only=True)
            if reading._after_start(t) and t is not reading.trigger and TREND_SINCE.search(t.text)
        ),
        None,
    )


def _what_was_seen(report: Tagged, reading: Reading) -> str:
    """What a first report says was seen, quoted; a report that names nothing ("Issue reported by a customer") gives
    the incident's title instead, as the thing monitoring should see."""
    if specific_stems(report.text) or not reading.incident.title.strip():
        return quote(report.event)
    return reading.incident.title.strip().rstrip(".")
