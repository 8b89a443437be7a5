"""What went wrong and the lessons, each from the events that show it.

*What went wrong* lists what the record shows going badly, each line quoting its event with its
source and time: a sign seen before the incident and set aside, detection later than the start (with
the metrics table's figure), a step that failed or made things worse, a delay whose reason the data
states, an assumption that cost time, a manual or forceful recovery step, a change nobody intended,
a failure that kept coming back, a declaration made only after the impact had stopped.

The *lessons* say what the data teaches about this system, in its own terms: the mechanism it states
(with the failure it explains, where the data connects them), a safeguard it says was missing, a limit
it says was reached, a sign it shows was there before detection, a way out it shows does not work in
this failure, and what held the recovery up. A lesson connects facts only where the data connects
them (a cause it gives for the symptom, shared words, a step right after the delay it cleared); alone,
a fact is quoted as it is. With nothing in the data to learn from there are none, and the open
questions ask.
"""

from __future__ import annotations

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.clauses import CAUSE, SYMPTOM, narrowed, said_as
from pm_agent.analysis.evidence import Reading, is_slow
from pm_agent.analysis.factors import unintended_changes
from pm_agent.analysis.findings import date_links, stopping_step
from pm_agent.analysis.quoting import said
from pm_agent.analysis.tagging import Tagged, linked, went_unanswered
from pm_agent.analysis.terms import content_stems
from pm_agent.analysis.whys.cause import cause_of, first_symptom
from pm_agent.ingest.timeparse import format_minutes
from pm_agent.models import Metric

T = vocab.TAG_PATTERNS
MAX_FAILED_STEPS = 2
MIN_REPEATS = 3
_FAILURE_SIGNS = ("symptom", "growth", "alert", "report", "observation", "limit_reached")


# --- what went wrong ------------------------------------------------------------------------------


def went_wrong(reading: Reading, metrics: list[Metric]) -> list[str]:
    """What the record shows going badly, each line quoting its event; [] when it shows nothing (no filler)."""
    out = []
    early = earlier_sign(reading)
    if early is not None:
        out.append(f"A sign of the failure was seen before it and set aside: {said(early.event, T['dismissed'])}.")
    out += _late_detection(reading, metrics)
    unanswered = next((t for t in reading.events if went_unanswered(t)), None)
    if unanswered is not None:
        out.append(f"The first page went unanswered: {said(unanswered.event)}.")
    for step in failed_steps(reading):
        out.append(f"A step taken to stop the impact did not work: {said(step.event, T['failed'])}.")
    blamed = step_made_worse(reading)
    if blamed is not None:
        out.append(f"A step taken to stop the impact made it worse: {said(blamed.event, vocab.CONNECTIVE)}.")
    worse = next((t for t in [*_during_response(reading), *reading.undated] if t.has("worsened")), None)
    if worse is not None and blamed is None:
        out.append(f"The failure got worse during the response: {said(worse.event, T['worsened'])}.")
    held = held_up(reading)
    if held is not None:
        out.append(f"The response was held up: {said(held.event, T['blocked'])}.")
    if reading.negatives:
        out.append(f"An early assumption cost time: {said(reading.negatives[0].event, T['negative'])}.")
    manual = manual_step(reading)
    if manual is not None:
        out.append(f"Recovery needed a manual step: {said(manual.event, T['manual'])}.")
    unintended = unintended_changes(reading)
    if unintended:
        out.append(f"A change nobody intended reached production: {said(unintended[0].event, T['unintended'])}.")
    repeats = reading.tagged("repeat", dated_only=True)
    if len(repeats) >= MIN_REPEATS:
        out.append(
            f"The failure kept coming back before it was fixed, {len(repeats)} times in all; first: "
            f"{said(repeats[0].event)}."
        )
    if reading.late_declaration is not None:
        out.append(f"The incident was declared only after the impact: {said(reading.late_declaration.event)}.")
    return out


def _late_detection(reading: Reading, metrics: list[Metric]) -> list[str]:
    """People saw it before monitoring did, or monitoring saw it late: with the metrics table's time to detect."""
    detection = reading.detection
    if detection is None:
        return []
    if reading.reported_by_people:
        alert = reading.first_monitoring_alert
        after = (
            f"; the first alert came later: {said(alert.event)}"
            if alert is not None and alert.at > detection.at
            else ""
        )
        return [f"People saw the failure before monitoring did: {said(detection.event)}{after}."]
    minutes = next((m.minutes for m in metrics if m.name == "time_to_detect"), None)
    if minutes is None or not is_slow(reading.detection_lag):
        return []
    return [f"It was detected {format_minutes(minutes)} after it began (time to detect): {said(detection.event)}."]


def earlier_sign(reading: Reading) -> Tagged | None:
    """A sign of the failure seen before it was detected and set aside ("memory climbing; put down to user growth, no
    ticket filed"): dated before the detection, or undated."""
    for tagged in reading.tagged("dismissed"):
        before = tagged.at is None or reading.detected is None or tagged.at < reading.detected
        if before and tagged.has(*_FAILURE_SIGNS):
            return tagged
    return None


def failed_steps(reading: Reading) -> list[Tagged]:
    """The steps taken to stop the impact that the data says did not work (never the report that it ended:
    "Resolved after 10 minutes; cause not found yet")."""
    failed = [a.step for a in reading.attempts if a.outcome == "failed" and not a.step.has("recovery", "resolution")]
    return failed[:MAX_FAILED_STEPS]


def step_made_worse(reading: Reading) -> Tagged | None:
    """An event of the response that gives a step of the response as the reason for a failure ("the 5xx errors are
    caused by the rollback", "payment run stalled after the rollback"): the data says the step made it worse. A
    finding that says so comes before a report that only places the failure after the step."""
    if not reading.attempts:
        return None
    first_step = reading.attempts[0].step.at
    blamed = []
    for tagged in _during_response(reading):
        if tagged.at <= first_step or not tagged.has("symptom", "finding", "cause_statement") or tagged.has("recovery"):
            continue
        reason = vocab.AFTER_A_STEP.search(tagged.text) or vocab.CONNECTIVE.search(tagged.text)
        if reason is not None and T["mitigation"].search(tagged.text[reason.start() :][:60]):
            blamed.append(tagged)
    return next((t for t in blamed if t.has("finding", "cause_statement")), blamed[0] if blamed else None)


def held_up(reading: Reading) -> Tagged | None:
    """An event of the response saying it was delayed or blocked ("Corrective action delayed due to a state lock"),
    not a symptom ("emails delayed") nor what monitoring or a person reported: it names a step of the response (a
    change, a fix, a retry) and comes after the detection."""
    return next(
        (
            t
            for t in _during_response(reading)
            if t.has("blocked")
            and t.has("change", "mitigation", "retry")
            and not t.has("failed", "alert", "report")
            and (reading.detected is None or t.at > reading.detected)
        ),
        None,
    )


def manual_step(reading: Reading) -> Tagged | None:
    """A recovery step done by hand or by force, one that did not fail."""
    return next((a.step for a in reading.attempts if a.outcome != "failed" and a.step.has("manual")), None)


def _during_response(reading: Reading) -> list[Tagged]:
    """The dated events from detection (else the start) to the end of the impact."""
    end = reading.mitigated or reading.resolved
    return reading.between(reading.detected or reading.started, end)


# --- lessons --------------------------------------------------------------------------------------


def lessons(reading: Reading) -> list[str]:
    """What the data teaches about this system, each quoting its events; [] when it shows nothing to learn from."""
    out = []
    symptom = first_symptom(reading)
    cause = cause_of(symptom, reading)
    if cause is not None:
        focus = T["cause_statement"] if cause.has("cause_statement") else T["finding"]
        shown = (
            f", and this is how the failure showed: {said(narrowed(symptom.event, SYMPTOM), T['symptom'])}"
            if symptom is not None and symptom is not cause and symptom.at is not None
            else ""
        )
        out.append(f"How this system fails, as the data states it: {said(narrowed(cause.event, CAUSE), focus)}{shown}.")
    else:
        out += _dated_change_lesson(reading)
    gap = next(iter(reading.tagged("gap")), None)
    if gap is not None and gap is not cause:
        out.append(f"A safeguard the system relied on was not there: {said_as(gap.event, 'gap')}.")
    out += _limit_lesson(reading, cause)
    out += _earlier_signal_lesson(reading)
    out += _way_out_lesson(reading)
    out += _held_up_lesson(reading)
    return out


def _dated_change_lesson(reading: Reading) -> list[str]:
    """A slow failure with no stated cause: what began on the day of a change (dated by a finding) showed days later."""
    dated = next(iter(date_links(reading)), None)
    if dated is None or reading.started is None or dated[0].at.date() >= reading.started.date():
        return []
    change, later, _ = dated
    return [
        f"What the data dates to the day of a change showed as a failure only later: {said(change.event)}, "
        f"then {said(later.event)}."
    ]


def _limit_lesson(reading: Reading, cause: Tagged | None) -> list[str]:
    """A limit the data says was reached, with the step that lifted it where the data connects them."""
    limit = next((t for t in reading.tagged("limit_reached") if t is not cause), None)
    if limit is None:
        return []
    lifted = next((a.step for a in reading.attempts if a.outcome != "failed" and linked(limit, a.step)), None)
    after = f"; what relieved it: {said(lifted.event)}" if lifted is not None and lifted is not limit else ""
    return [f"This system has a limit the failure reached: {said(limit.event, T['limit_reached'])}{after}."]


def _earlier_signal_lesson(reading: Reading) -> list[str]:
    """A sign of the failure the data shows before its detection: one seen and set aside, else (when detection was
    slow) the first symptom recorded between the start and the detection."""
    detection = reading.detection
    if detection is None:
        return []
    early = earlier_sign(reading)
    if early is not None:
        return [
            f"This failure can be seen before it is detected: {said(early.event, T['dismissed'])} came before "
            f"{said(detection.event)}."
        ]
    if reading.reported_by_people or not is_slow(reading.detection_lag):
        return []
    sign = next(
        (
            t
            for t in reading.between(reading.started, reading.detected)
            if t is not reading.trigger
            and t.at < detection.at
            and t.has("symptom", "growth", "observation", "limit_reached")
            and not t.has("alert", "report", "change")
        ),
        None,
    )
    if sign is None:
        return []
    return [
        f"This failure shows before monitoring catches it: {said(sign.event, T['symptom'])} came before "
        f"{said(detection.event)}."
    ]


def _way_out_lesson(reading: Reading) -> list[str]:
    """The way out the data shows does not work in this failure, and the one that did."""
    failed = failed_steps(reading)
    if not failed:
        return []
    step = stopping_step(reading)
    worked = f"; what stopped the impact instead: {said(step.event)}" if step is not None else ""
    return [f"In this failure, a way out does not work: {said(failed[0].event, T['failed'])}{worked}."]


def _held_up_lesson(reading: Reading) -> list[str]:
    """What can hold the recovery up, and the step that cleared it: the next step the data connects to the delay."""
    held = held_up(reading)
    if held is None:
        return []
    reason = reason_stems(held)
    cleared = next(
        (
            a.step
            for a in reading.attempts
            if a.step.at > held.at
            and (linked(held, a.step) or len(reason.intersection(content_stems(a.step.text))) >= 2)
        ),
        None,
    )
    if cleared is None:
        return []
    return [
        f"Recovery here can be held up: {said(held.event, T['blocked'])}; what let it go on: {said(cleared.event)}."
    ]


def reason_stems(tagged: Tagged) -> frozenset[str]:
    """The words of the reason an event gives ("delayed due to Terraform state lock": terraform, state, lock). The
    vocabulary's words count here: a step that clears "the state lock" names the reason in those very words."""
    match = vocab.CONNECTIVE.search(tagged.text)
    return frozenset(content_stems(tagged.text[match.end() :])) if match else frozenset()
