"""Plans about detection and response: how the failure was noticed, recovered from and declared.

An alert that pages before users report it, a recovery path that no longer stops on what stopped it, the spare a
failover used up, a check run by hand made automatic, and a declaration made when the issue is confirmed.
"""

from __future__ import annotations

import re

from pm_agent.analysis.actions.plan import NOT_DONE_BY_ANYONE, Plan, first_words, names_something, what_failed
from pm_agent.analysis.evidence import Reading, Tagged, from_monitoring, is_slow
from pm_agent.analysis.findings import cause_part
from pm_agent.analysis.quoting import cite, quote, when
from pm_agent.ingest.timeparse import format_minutes

# A check people run by hand or on a calendar, which found the failure before monitoring or users did.
DRILL_RE = re.compile(
    r"\b(?:drills?|rehearsals?|game ?days?|dry[- ]runs?|chaos (?:tests?|experiments?)|test restores?|restore tests?|"
    r"audits?)\b",
    re.I,
)


def detection_plans(reading: Reading, problem: str) -> list[Plan]:
    detection, alert = reading.detection, reading.first_alert
    if detection is None:
        return []
    if alert is not None and not from_monitoring(alert):
        alert = None  # "paged by support": a person passing the report on, not an alert to make page sooner
    subject = first_words(problem)
    if reading.reported_by_people and (alert is None or alert.at <= detection.at):
        return [
            Plan(
                title=f'Add an alert that pages on "{subject}" before users report it',
                done_when=f'A drill that reproduces "{subject}" pages the on-call before any user report.',
                addresses=f"A person noticed first {cite(detection.event)}, with no alert before it.",
                area="observability",
                horizon="immediate",
                hierarchy="engineering",
                automated_check=True,
            )
        ]
    if reading.reported_by_people:
        return [
            Plan(
                title=f'Make the alert "{first_words(quote(alert.event))}" page before users notice "{subject}"',
                done_when=f'In a drill that reproduces "{subject}", the alert pages the on-call before any user report.',
                addresses=f"The first report {cite(detection.event)} came before the first alert {cite(alert.event)}.",
                area="observability",
                horizon="immediate",
                hierarchy="engineering",
                automated_check=True,
            )
        ]
    if is_slow(reading.detection_lag):
        lag = format_minutes(reading.detection_lag.total_seconds() / 60)
        return [
            Plan(
                title=f'Alert on "{subject}" within minutes, not the {lag} it took',
                done_when=f'A drill that reproduces "{subject}" pages the on-call within the agreed detection time.',
                addresses=f"It started at {when(reading.started)} and was first detected {cite(detection.event)}.",
                area="observability",
                horizon="short",
                hierarchy="engineering",
                automated_check=True,
            )
        ]
    return []


def recovery_plans(reading: Reading) -> list[Plan]:
    plans = []
    # A canary that "FAILED ... and rolled back" is an alert that worked, not a recovery that failed.
    failed = [a for a in reading.attempts if a.outcome == "failed" and not a.step.has("alert", "gate_caught")]
    for attempt in failed[:2]:
        reason = first_words(cause_part(attempt.step.text))
        if not reason:
            continue
        plans.append(
            Plan(
                title=f'Change the recovery path so that "{reason}" no longer stops it '
                f'("{first_words(what_failed(attempt.step.text))}")',
                done_when=f'A rehearsal of the step with "{reason}" injected completes and restores service.',
                addresses=f"A recovery step did not work {cite(attempt.step.event)}.",
                area="platform",
                horizon="short",
                hierarchy="engineering",
                impact="medium",
            )
        )
    return plans


def redundancy_plans(reading: Reading) -> list[Plan]:
    """A failover that worked used up the spare: repair or replace what failed and bring the standby back, quoting
    the failure the failover moved away from."""
    failover = next(
        (
            a.step
            for a in reading.attempts
            if a.outcome != "failed"
            and a.step.has("failover")
            and not a.step.has(*NOT_DONE_BY_ANYONE)
            and a.step.at is not None
        ),
        None,
    )
    if failover is None:
        return []
    lost = next(
        (
            t
            for t in reading.events
            if t.at is not None
            and t.at < failover.at
            and t.has("symptom")
            and not t.has("failover")
            and t.stems & failover.stems
        ),
        None,
    )
    if lost is None:
        return []
    failed, taken = first_words(quote(lost.event)), first_words(quote(failover.event))
    return [
        Plan(
            title=f'Restore the redundancy the failover used up: repair or replace what failed ("{failed}") and add it '
            "back as a standby",
            done_when=f'A standby is in place again, and a rehearsed failover like "{taken}" completes.',
            addresses=f"The failover {cite(failover.event)} after the failure {cite(lost.event)}.",
            area="platform",
            horizon="immediate",
            hierarchy="engineering",
            impact="medium",
        )
    ]


def drill_plans(reading: Reading) -> list[Plan]:
    """A drill or other check run by hand found the failure before any alert or user: run what it checked on its own,
    on a schedule, and alert when it fails the way it did ("Mount of the newest ledger snapshot failed")."""
    drill, symptom = _drill_and_what_it_found(reading)
    if drill is None or symptom is None:
        return []
    checked = first_words(_without_outcome(what_failed(symptom.text)))
    if not names_something(checked, 2):
        return []
    return [
        Plan(
            title=f'Run "{checked}" automatically on a schedule, not only in the {_drill_name(drill.text)}, and alert '
            "when it fails",
            done_when="The scheduled run alerts the on-call in a test where it fails as it did: "
            f'"{first_words(quote(symptom.event))}".',
            addresses=f"A check run by hand found the failure {cite(symptom.event)}, before any alert.",
            area="platform",
            horizon="short",
            hierarchy="engineering",
            automated_check=True,
        )
    ]


def _drill_and_what_it_found(reading: Reading) -> tuple[Tagged | None, Tagged | None]:
    """The drill, and the first failure after it, when both come before any alert or report (read only up to the
    first of those: a drill after monitoring or a person saw the failure found nothing they had not)."""
    drill = None
    for tagged in reading.events:
        if tagged.has("alert", "report"):
            return None, None
        if drill is None and DRILL_RE.search(tagged.text):
            drill = tagged
        elif drill is not None and tagged.has("symptom"):
            return drill, tagged
    return None, None


def _drill_name(text: str) -> str:
    """ "half-yearly recovery rehearsal" of "Half-yearly recovery rehearsal started for ledger-db": up to three words
    before the drill word, within its clause."""
    match = DRILL_RE.search(text)
    words = [*re.split(r"[,;:.()]", text[: match.start()])[-1].split()[-3:], match.group(0)]
    first = words[0]
    if first[:1].isupper() and not any(c.isupper() for c in first[1:]):  # "Quarterly" at the start; "AWS" stays
        first = first.lower()
    return " ".join([first, *words[1:]])


def _without_outcome(text: str) -> str:
    """ "Mount of the newest ledger snapshot" of "Mount of the newest ledger snapshot failed": what was checked."""
    outcome = r"\s+(?:has |have |had )?(?:failed|fails|failing|did not complete|broke)\s*$"
    return re.sub(outcome, "", text.strip(), flags=re.I)


def declaration_plans(reading: Reading) -> list[Plan]:
    late = reading.late_declaration
    if late is None:
        return []
    declared = first_words(quote(late.event))
    return [
        Plan(
            title=f'Declare the incident when the issue is confirmed, not after mitigation as in "{declared}"',
            done_when=f"Who declares and when is documented in the incident process, and the next incident is declared "
            f'before mitigation, unlike "{declared}".',
            addresses=f"The incident was declared after the impact had stopped {cite(late.event)}.",
            area="incident",
            horizon="immediate",
            hierarchy="administrative",
            impact="medium",
        )
    ]
