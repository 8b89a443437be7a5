"""Plans about detection and response: how the failure was noticed, recovered from and declared.

An alert on the signal the data shows before the failure was detected (:mod:`.signals`), a late alert made to page
before users report it, a recovery path that no longer stops on what stopped it, the spare a
failover used up, a check run by hand made automatic, and a declaration made when the issue is confirmed.
"""

from __future__ import annotations

import re

from pm_agent.analysis.actions.plan import NOT_DONE_BY_ANYONE, Plan, first_words, names_something, what_failed
from pm_agent.analysis.actions.signals import Signal, early_signal
from pm_agent.analysis.evidence import Reading, is_slow, once_per_reading
from pm_agent.analysis.findings import cause_part
from pm_agent.analysis.quoting import cite, quote
from pm_agent.analysis.tagging import Tagged, from_monitoring, specific_stems, tags_of
from pm_agent.ingest.timeparse import format_minutes

# A check people run by hand or on a calendar, which found the failure before monitoring or users did.
DRILL_RE = re.compile(
    r"\b(?:drills?|rehearsals?|game ?days?|dry[- ]runs?|chaos (?:tests?|experiments?)|test restores?|restore tests?|"
    r"audits?)\b",
    re.I,
)


def detection_plans(reading: Reading, problem: str) -> list[Plan]:
    """An alert on the signal the data shows before the failure was detected ("memory grows steadily since v5.2.0"),
    where detection came from people or late from monitoring; a late alert after a person's report is made to page
    sooner, and where people noticed first and neither the readings nor the report name a failure, an alert on what
    the title says users saw ("services returning 504"). Nothing when monitoring caught it within minutes, and
    nothing where the data states no such signal (the draft asks instead: :func:`detection_questions`)."""
    premise = _detection_gap(reading)
    if premise is None:
        return []
    detection, alert = premise
    signal = _signal_before_detection(reading)
    if signal is not None:
        return [_signal_plan(reading, signal, detection)]
    subject = first_words(problem)
    if reading.reported_by_people and alert is None and tags_of(problem, "note") & {"symptom"}:
        return [  # "services returning 504": a report naming nothing leaves the title to say what users saw
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
    if reading.reported_by_people and alert is not None:
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
    return []


def detection_questions(reading: Reading) -> list[str]:
    """Where monitoring caught the failure late and the data states no signal that showed it coming: which one would
    have, and who owns alerting on it (never an alert on the incident's title). Where a person noticed first, the Five
    Whys already ask which signal shows what they saw (:func:`pm_agent.analysis.whys.chain.run_five_whys`)."""
    premise = _detection_gap(reading)
    if premise is None or reading.reported_by_people:
        return []
    detection, _ = premise
    if _signal_before_detection(reading) is not None:
        return []
    return [
        f"Which signal would have shown this before the first alert {cite(detection.event)}, and who owns alerting on it?"
    ]


@once_per_reading  # the action and the open question both ask it: one pass over the events, not two
def _signal_before_detection(reading: Reading) -> Signal | None:
    """The signal the data shows before detection, for the detection gap, when there is one."""
    premise = _detection_gap(reading)
    return None if premise is None else early_signal(reading, *premise)


def _detection_gap(reading: Reading) -> tuple[Tagged, Tagged | None] | None:
    """The first signal and the first monitoring alert, when detection leaves a gap to close: a person noticed first, or
    monitoring took longer than :data:`~pm_agent.analysis.evidence.SLOW_DETECTION`."""
    detection, alert = reading.detection, reading.first_alert
    if detection is None:
        return None
    if alert is not None and not from_monitoring(alert):
        alert = None  # "paged by support": a person passing the report on, not an alert to make page sooner
    if reading.reported_by_people and (alert is None or alert.at > detection.at):
        return detection, alert
    if reading.reported_by_people or not is_slow(reading.detection_lag):
        return None
    return detection, alert


def _signal_plan(reading: Reading, signal: Signal, detection: Tagged) -> Plan:
    """ "Alert when recs-service's memory grows (shown at ...: "memory grows steadily since v5.2.0"), before the first
    alert", in the words of the signal's kind, with a drill or replay of that signal as the test."""
    people = detection.has("report")
    before = "users report it" if people else _ahead_of(signal, detection)
    who = _component(reading, signal)
    if signal.kind == "moving":
        lead = (
            "Alert on" if signal.movement.split()[0].endswith("ing") else "Alert when"
        )  # "lag creeping up", "memory grows"
        title = f"{lead} {who}{signal.subject} {signal.movement} (shown {signal.cited()}), before {before}"
    elif signal.kind == "deviation":
        title = (
            f"Alert when {who}{signal.subject} moves off its expected value (shown {signal.cited()}), before {before}"
        )
    elif signal.kind == "level":
        title = f"Alert when {who}{signal.subject} reaches the level shown {signal.cited()}, before {before}"
    elif signal.event is detection:
        title = (
            f"Add an alert that pages on the failure users saw, before they report it (first reported {signal.cited()})"
        )
    else:
        title = f"Add an alert that pages on the failure the data shows {signal.cited()}, before {before}"
    if people:
        detected = f"a person noticed first {cite(detection.event)}, with no alert before it"
    else:
        lag = format_minutes(reading.detection_lag.total_seconds() / 60)
        detected = f"the first alert came {lag} after the start {cite(detection.event)}"
    shown = f"The data shows the signal {signal.cited()}; {detected}" if signal.event is not detection else detected
    return Plan(
        title=title,
        done_when=f'A drill or replay of "{signal.quoted()}" pages the on-call before '
        f"{'any user report' if people else 'the first alert did'}.",
        addresses=f"{shown[0].upper()}{shown[1:]}.",
        area="observability",
        horizon="immediate" if people else "short",
        hierarchy="engineering",
        automated_check=True,
    )


def _ahead_of(signal: Signal, alert: Tagged) -> str:
    """ "4 h 5 min before the first alert" where the signal was seen before it, else "before the first alert"."""
    at = signal.event.at
    if at is None or at >= alert.at:
        return "the first alert"
    return f"the first alert, which came {format_minutes((alert.at - at).total_seconds() / 60)} later"


def _component(reading: Reading, signal: Signal) -> str:
    """ "recs-service's " before a subject that names no component ("memory"): the service the clause, the first alert,
    the change that set it off or the event names; nothing where the subject names its own ("index node disk")."""
    services = [s for s in reading.incident.services if s.strip()]
    if (
        not signal.subject
        or len(specific_stems(signal.subject)) >= 2
        or any(_names(signal.clause, s) for s in services)
    ):
        return ""
    texts = [t.text for t in (reading.first_alert, reading.trigger, signal.event) if t is not None]
    named = next((s for text in texts for s in services if _names(text, s)), None)
    if named is None and len(services) == 1:
        named = services[0]
    return f"{named}'s " if named else ""


def _names(text: str, service: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(service)}(?![\w-])", text, re.IGNORECASE) is not None


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
