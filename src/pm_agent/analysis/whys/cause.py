"""Finding, in an incident's reading, the event that first showed the failure (:func:`first_symptom`), the event
the data gives as its cause (:func:`cause_of`; of the incident's failure itself, :func:`cause_of_the_failure`), a
finding that explains that cause further (:func:`deeper_cause`), and a failure whose own words date its start
(:func:`dated_failure`, :func:`dated_in`)."""

from __future__ import annotations

import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.findings import about_impact, cause_part
from pm_agent.analysis.tagging import Tagged, specific_stems
from pm_agent.analysis.terms import content_stems, weight

# Events that say how the response went, not why the failure happened.
NOT_A_CAUSE = ("observation", "mitigation", "retry", "recovery", "worked", "resolution", "communication")


MAX_CANDIDATES = 200  # the earliest findings a cause is looked for among (an incident of thousands of events has more)


def first_symptom(reading: Reading) -> Tagged | None:
    """The first event showing the failure itself, from the start on (else the detection)."""
    after = [t for t in reading.events if reading._after_start(t) and t is not reading.trigger]
    symptom = next((t for t in after if t.has("symptom", "alert", "report") and not t.has("recovery")), None)
    return symptom or reading.detection


def cause_of(symptom: Tagged | None, reading: Reading) -> Tagged | None:
    """The event the data gives as the cause: the symptom's own "due to", else a cause statement (then a finding) that
    names the symptom's, the trigger's or the title's component. A recovery step's own failure is not the cause, nor
    is what the data says of the recovery or of telling people ("it recovered as soon as...", "owner contacted"), or
    of how users were affected ("so messages arrived late rather than not at all")."""
    if (
        symptom is not None
        and symptom.has("cause_statement")
        and cause_part(symptom.text)
        and not about_impact(symptom)
    ):
        return symptom
    findings = [
        t
        for t in reading.findings[:MAX_CANDIDATES]
        if t is not symptom
        and (not t.has(*NOT_A_CAUSE) or _found_cause_of_a_step(t))
        and not about_impact(t)
        and not _before_the_change(t, reading)
    ]
    stated = [t for t in findings if t.has("cause_statement") and cause_part(t.text)]
    findings = [t for t in findings if t.source != "alert"]  # what monitoring saw is the symptom, not why it happened
    anchors = [t for t in (symptom, reading.trigger) if t is not None]
    title = specific_stems(reading.incident.title)  # the title names the failure: a cause about its words is about it
    for pool in (stated, findings):
        about = [t for t in pool if any(_shares(t, a) for a in anchors) or t.stems & title]
        if about:
            return _diagnosed_over_trigger(about[0], findings, anchors, title, reading)
    return None


def cause_of_the_failure(symptom: Tagged | None, reading: Reading) -> Tagged | None:
    """The cause that answers why the incident's failure happened (the Five Whys' Why 1): :func:`cause_of`, less a
    symptom's own "due to" when that symptom was first seen after steps against the failure had begun. "X due to Y"
    says Y caused X; an X recorded while the team was already undoing the failure ("some consumers failed to
    reconnect, due to a reconnect surge" after "settings restored from backup") is an effect of that failure or of its
    repair, so Y explains the effect, not the failure. What the data states of the effect stays a stated cause for
    the findings, lessons and actions (:func:`cause_of`)."""
    cause = cause_of(symptom, reading)
    if cause is not None and cause is symptom and _seen_after_the_response(cause, reading):
        return None
    return cause


def _seen_after_the_response(symptom: Tagged, reading: Reading) -> bool:
    """Whether a step taken to stop the impact (a mitigation, a retry; not the change that set it off) came before
    ``symptom``."""
    return symptom.at is not None and any(
        a.step is not reading.trigger and a.step.at is not None and a.step.at < symptom.at for a in reading.attempts
    )


def _before_the_change(tagged: Tagged, reading: Reading) -> bool:
    """An event dated before the change that set the failure off, when the failure began with that change: what it
    states (a pipeline that failed and delayed the change, a node that went NotReady) came before the failure and is
    a condition around it, not why the change failed."""
    trigger = reading.trigger
    return (
        trigger is not None
        and reading.started is not None
        and trigger.at == reading.started
        and tagged.at is not None
        and tagged.at < trigger.at
    )


def _found_cause_of_a_step(tagged: Tagged) -> bool:
    """A finding that a recovery step caused the failure ("Finding: the errors are caused by the rollback") states a
    cause: the step's word makes it look like a mitigation, but it is named as the cause."""
    return (
        tagged.has("finding")
        and tagged.has("cause_statement")
        and not tagged.has("recovery", "worked", "resolution", "communication")
    )


def _diagnosed_over_trigger(
    cause: Tagged, findings: list[Tagged], anchors: list[Tagged], title: set[str], reading: Reading
) -> Tagged:
    """The change's own "so ..." says what the change does ("flag switched on, so reads come from the new table"), not
    why it failed: a finding the responders state about it ("found it: the copy job skips rows ...") explains more.
    The change keeps its own step ("What set it off?")."""
    if cause is not reading.trigger:
        return cause
    diagnosed = [
        t
        for t in findings
        if t is not cause and t.has("finding") and (any(_shares(t, a) for a in anchors) or t.stems & title)
    ]
    return diagnosed[0] if diagnosed else cause


def _shares(a: Tagged, b: Tagged) -> bool:
    return bool(a.stems & b.stems)


def deeper_cause(cause: Tagged, reading: Reading) -> Tagged | None:
    """A later or earlier finding that explains the cause further: it names what the cause part names."""
    reason = cause_part(cause.text)
    if not reason:
        return None
    reason_stems = {s for s in content_stems(reason) if weight(s) == 1.0}
    for other in reading.findings[:MAX_CANDIDATES]:
        if other is cause or other.has("observation"):
            continue
        if reason_stems & other.stems:
            return other
    return None


def dated_failure(reading: Reading, symptom: Tagged | None) -> tuple[Tagged, tuple[str, int]] | None:
    """Where the data states no cause: an event (not the first sign, not an alert, not a step taken) saying a part
    has been failing since an earlier moment its words name ("renewals failing since May 20 with errors after the
    API token was rotated"). That is a mechanism the data states, and its words date it."""
    for tagged in (*reading.events, *reading.undated):
        if (
            tagged is symptom
            or tagged is reading.trigger
            or tagged.source == "alert"
            or not tagged.has("symptom", "failed")
            or tagged.has(*NOT_A_CAUSE)
        ):
            continue
        if (dated := dated_in(tagged.text)) is not None:
            return tagged, dated
    return None


# "since the 08:30 maintenance drain": a condition dated to an earlier moment of the day, named by what happened then
SINCE_CLOCK = re.compile(r"\bsince (?:the )?(?P<clock>\d{1,2}:\d{2}\s+[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2})", re.I)


def dated_in(text: str) -> tuple[str, int] | None:
    """The earlier event ``text`` dates its own start to ("the backup password was rotated" of "failures since May 12,
    when the backup password was rotated"; "PR 812"; "08:30 maintenance drain"), and where the dating begins."""
    match = vocab.DATED_TO.search(text)
    if match is not None:
        return (match["when"] or match["after"] or match["change"]).strip(" ,."), match.start()
    match = SINCE_CLOCK.search(text)
    if match is not None:
        return match["clock"].strip(" ,."), match.start()
    return None
