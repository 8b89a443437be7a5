"""The summary, the impact in words and what went well, each from the events that show it.

The summary says what broke, what the data says of why, how it was stopped, and the same
detection time as the metrics table. Impact in words quotes what the input says users saw. What
went well comes from how the response went (who noticed first, which steps worked, when the
incident was declared, who was told), each quoting its events. What went wrong and the lessons are
in :mod:`pm_agent.analysis.lessons`.
"""

from __future__ import annotations

import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.clauses import CAUSE, IMPACT, RECOVERY, STEP, narrowed, said_as
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.findings import (
    automatic_recovery_that_failed,
    began_after,
    began_after_sentence,
    date_links,
    reverting_fix,
    started_with,
    stopping_step,
)
from pm_agent.analysis.limits import raised_limit
from pm_agent.analysis.moments import BEFORE_TIMELINE, dated_before_timeline
from pm_agent.analysis.quoting import evidence, ref, said, when
from pm_agent.analysis.tagging import Tagged, paged_by_person, tags_of, went_unanswered, what_happened
from pm_agent.analysis.whys.cause import cause_of, first_symptom
from pm_agent.ingest.timeparse import format_minutes
from pm_agent.models import Evidence, Metric, TimelineEvent
from pm_agent.models.analysis import TITLE_CITATION

MAX_IMPACT_QUOTES = 5
MAX_WORKED_STEPS = 3
T = vocab.TAG_PATTERNS


def summarise(reading: Reading, metrics: list[Metric]) -> str:
    """What, where, when it began and was noticed, what the data says of why, how it ended, how long."""
    incident = reading.incident
    by_name = {m.name: m for m in metrics}
    parts = [f"{incident.title.rstrip('.')}."]
    if incident.services:
        parts.append(f"Affected services: {', '.join(incident.services)}.")
    early = dated_before_timeline(reading.events) if reading.started_basis == BEFORE_TIMELINE else None
    if reading.started:
        parts.append(f"Impact began at {when(reading.started)}.")
    elif early is not None:
        day = vocab.SINCE_DATE.search(early.text)["date"]  # the early event was chosen for this match
        parts.append(f"The data dates the failure's start to {day}, before its timeline {ref(early.event)}.")
    detection = reading.detection
    if reading.detected:
        kind = (
            "a person's report"
            if reading.reported_by_people
            else "a person's page"
            if detection and paged_by_person(detection)
            else "an alert"
            if detection and detection.has("alert")
            else "the event the input names"
        )
        if detection is not None and detection.at == reading.detected:
            parts.append(f"It was first detected through {kind}: {said(detection.event)}.")
        else:
            parts.append(f"It was first detected at {when(reading.detected)}.")
    else:
        parts.append("The data does not say when the failure was detected.")
    parts += _why(reading)
    parts += _how_it_stopped(reading)
    figures = [
        (label, by_name[name].minutes)
        for label, name in (
            ("time to detect", "time_to_detect"),
            ("time to mitigate", "time_to_mitigate"),
            ("duration", "duration"),
        )
        if by_name.get(name) and by_name[name].minutes is not None
    ]
    if figures:
        parts.append(
            "; ".join(
                f"{label.capitalize() if i == 0 else label} {format_minutes(m)}" for i, (label, m) in enumerate(figures)
            )
            + "."
        )
    return " ".join(parts)


def _why(reading: Reading) -> list[str]:
    """What the data says of why: the change it says the failure started with first, then the cause it states (as
    what followed, when the data dates it after that change: "daemon sets not scheduled, due to a scheduling storm"
    half an hour after a pipeline reverted the cluster's network is a later effect, not where it began); with no cause
    stated, the defect the data says that change went out with ("deployed with a backwards compatibility issue"),
    what its fix reverted, the limit its fix raised, a change a later finding dates its start to, or a missing
    safeguard it records, then what the failure began after (never as its cause)."""
    cause = cause_of(first_symptom(reading), reading)
    trigger, start = reading.trigger, started_with(reading)
    out = [f"{start}: {said(trigger.event)}."] if start is not None and cause is not trigger else []
    revert, gap = reverting_fix(reading), next(iter(reading.tagged("gap")), None)
    carried = carried_defect(trigger) if out else None
    if cause is not None:
        followed = bool(out) and cause.at is not None and cause.at > trigger.at
        lead = "What followed, as the data states it" if followed else "The data states a cause"
        out.append(f"{lead}: {said(narrowed(cause.event, CAUSE))}.")
    elif carried is not None:  # the change went out with a defect the data names: that is what it says of why
        out.append(f"The data states a cause: that change went out with {carried} {ref(trigger.event)}.")
        if revert is not None:
            step, what = revert
            out.append(f"The data's fix reverted {what}: {said(step.event)}.")
    elif revert is not None:  # the fix undid a change: that change is where to look
        step, what = revert
        out.append(
            f"The data does not state the cause, but its fix reverted {what}, so the change it undid is "
            f"implicated: {said(step.event)}."
        )
    elif (raised := raised_limit(reading)) is not None:  # the fix raised a limit: too low for the load at the time
        out.append(
            f"The data does not state the cause, but its fix raised {raised.limit}, so that limit is implicated as too "
            f"low for the load at the time: {said(raised.step.event)}."
        )
    elif dated := date_links(reading):  # a change on the day a finding dates its trend from: connected, no more
        change, later_event, day = dated[0]
        out.append(
            f"The data does not state the cause, but it connects a change and a later finding by a date, {day}: "
            f"{said(change.event)}, then {said(later_event.event)}."
        )
    elif (stalled := automatic_recovery_that_failed(reading)) is not None:  # why the impact lasted
        out.append(
            "The data does not state the cause, but it states why the automatic recovery did not end the failure: "
            f"{said(stalled.event)}."
        )
    elif gap is not None:  # why it got through, as far as the data says
        out.append(
            f"The data does not state the cause, but it records a missing safeguard: {said_as(gap.event, 'gap')}."
        )
    else:
        out.append("The data does not state the cause; see the root cause section for what it shows and what to ask.")
    began = began_after(reading) if cause is None else None
    if began is not None:  # what it began after, never as its cause
        out.append(began_after_sentence(began))
    return out


# "deployed with a backwards compatibility issue", "released with a date parsing issue": a change that went out
# carrying a defect the data names. Not "with no issues", nor "with the fix for the memory leak".
CARRIED_DEFECT_RE = re.compile(
    r"\b(?:with|introduc(?:ed|ing)|contain(?:ed|ing))\s+(?P<article>(?:a|an|the)\s+)?"
    r"(?P<words>(?:(?!(?:no|any|zero|fix\w*|patch\w*|workaround\w*|for|to|of)\b)[\w-]+\s+){0,3}"
    r"(?:issue|bug|regression|defect|flaw|incompatibility|mistake|typo|misconfiguration))\b",
    re.IGNORECASE,
)


def carried_defect(change: Tagged | None) -> str | None:
    """The defect the data says a change went out with ("a backwards compatibility issue"), or None."""
    match = CARRIED_DEFECT_RE.search(change.text) if change is not None and change.has("change") else None
    if match is None:
        return None
    words = match["words"]
    article = match["article"] or ("an " if words[:1].lower() in "aeiou" else "a ")
    return f"{article.lower()}{words}"


def _how_it_stopped(reading: Reading) -> list[str]:
    """The step that stopped the impact and the event that shows it stopped, or what the data leaves unsaid."""
    if reading.mitigated is None:
        return ["The data does not say when or how the impact stopped."]
    step, recovered = stopping_step(reading), _recovery_event(reading)
    out = [
        f"It was stopped by: {said(narrowed(step.event, STEP))}."
        if step is not None
        else "The data does not say what stopped the impact."
    ]
    if recovered is None:
        out.append(f"The impact stopped by {when(reading.mitigated)}.")
    elif step is None or recovered is not step.event:
        out.append(f"The impact stopped: {said(narrowed(recovered, RECOVERY))}.")
    return out


def impact_in_words(reading: Reading) -> list[Evidence]:
    """What the input says users or systems saw, quoted: the incident's title when it states the impact itself ("All
    services returning 503"), then the symptoms and reports from the start to the end of the impact.

    A step of the response is no symptom, whatever reason it gives: "Pipeline re-triggered due to an API timeout"
    says why the team ran it again, not what users saw.
    """
    end = reading.mitigated or reading.resolved
    seen = [
        t
        for t in reading.events
        if reading._after_start(t)
        and (end is None or t.at <= end)
        and t.has("symptom", "report")
        and not t.has("recovery", "mitigation", "retry", "negative")  # "nothing unusual found": what was ruled out
        and not _only_as_reason(t)
    ]
    title = _title_as_impact(reading)
    quotes = [title] if title is not None else []
    shown = seen[: MAX_IMPACT_QUOTES - len(quotes)]
    quotes += [evidence(narrowed(t.event, IMPACT), T["symptom"]) for t in shown]
    return quotes + [evidence(t.event, vocab.NO_IMPACT) for t in _reached_nobody(reading) if t not in shown]


def _reached_nobody(reading: Reading) -> list[Tagged]:
    """The events that say the failure reached nobody ("No data lost; the production database stayed healthy"): what
    the data states of the impact as much as a symptom is, so the impact quotes it rather than leave only questions."""
    return [t for t in reading.events if vocab.NO_IMPACT.search(t.text)][:1]  # the first says it; more repeat it


def _only_as_reason(tagged: Tagged) -> bool:
    """A failure named only as the reason for a step ("re-run because the first run failed"), not one that was seen."""
    return not tagged.has("report") and not T["symptom"].search(what_happened(tagged.text))


def _title_as_impact(reading: Reading) -> Evidence | None:
    """The incident's title, quoted, when its words state a failure users or systems saw."""
    title = reading.incident.title.strip()
    if not title or "symptom" not in tags_of(title, "note"):
        return None
    return Evidence(source="note", excerpt=title, time_text=TITLE_CITATION)


def went_well(reading: Reading) -> list[str]:
    """What the record shows working: monitoring that caught it first (or a person's own check, when they paged on
    what they found), steps that worked, people told, an early declaration. Never a step that failed."""
    good = []
    detection = reading.detection
    if detection is not None and paged_by_person(detection):
        found = _found_before_any_signal(reading, detection)
        if found is not None:
            good.append(f"The failure was found before any alert or user report: {said(found.event)}.")
    elif detection is not None and detection.has("alert") and not reading.reported_by_people:
        good.append(f"Monitoring caught the failure first: {said(detection.event)}.")
    worked = [a.step for a in reading.attempts if a.outcome == "worked"][:MAX_WORKED_STEPS]
    if len(worked) == 1:
        good.append(f"A recovery step worked: {said(worked[0].event)}.")
    elif worked:  # the response steps belong here, not among the action items
        good.append(f"Recovery steps that worked: {'; '.join(said(t.event) for t in worked)}.")
    declared = next(
        (
            t
            for t in reading.events
            if t.has("declaration")
            and not t.has("resolution")
            and "retroactive" not in t.text.lower()
            and not went_unanswered(t)
        ),
        None,
    )
    if declared is not None and reading.mitigated is not None and declared.at <= reading.mitigated:
        good.append(f"The incident was declared while it was still going on: {said(declared.event)}.")
    told = next((t for t in reading.events if t.has("communication") and _to_the_affected(t.text)), None)
    if told is not None:
        good.append(f"People affected were told: {said_as(told.event, 'communication')}.")
    held = next((t for t in reading.events if _PROTECTION_RE.search(t.text) and SAFEGUARD_HELD_RE.search(t.text)), None)
    if held is not None:
        good.append(f"A safeguard held: {said(held.event, SAFEGUARD_HELD_RE)}.")
    return good


def _to_the_affected(text: str) -> bool:
    """A message to the people the failure affected ("status page updated for customers"), not to the owners of the
    component at fault ("email sent to the team owning the dev container")."""
    return bool(vocab.AFFECTED_RE.search(text)) and not vocab.OWNERS_RE.search(text)


def _found_before_any_signal(reading: Reading, page: Tagged) -> Tagged | None:
    """The failure a person saw and then paged on ("restore of the newest backup failed", then "the drill lead paged
    the on-call"): the first symptom before the page, when no alert or report came before it."""
    for tagged in reading.events:
        if tagged.at >= page.at or tagged.has("report") or (tagged.has("alert") and not paged_by_person(tagged)):
            return None
        if tagged.has("symptom"):
            return tagged
    return None


_PROTECTION_RE = re.compile(r"protect|lock|polic|guard", re.IGNORECASE)  # a cheap first look over every event
# A destructive step that a protection refused: "destroy of ledger-db failed: deletion protection is enabled".
SAFEGUARD_HELD_RE = re.compile(
    r"\b(?:destroy\w*|delet\w*|drop\w*|truncat\w*|wip(?:e|ed|ing)|overwrit\w*|terminat\w*)\b[^.;]{0,60}?"
    r"\b(?:failed|blocked|denied|refused|prevented|rejected)\b[^.;]{0,40}?"
    r"\b(?:protection|protected|prevent_destroy|object lock|lock(?:ed)?|safeguard|guard(?:rail)?s?|polic(?:y|ies))\b",
    re.IGNORECASE,
)


def _recovery_event(reading: Reading) -> TimelineEvent | None:
    hit = next((t for t in reading.events if reading.mitigated and t.at == reading.mitigated), None)
    return hit.event if hit is not None else None
