"""Five Whys that follow the evidence: each step cites an event or a stated fact, or is a question to the team.

The chain goes as far as the data goes. The first steps come from the timeline (the symptom, the
change or finding behind it, what the data says of why); where the data stops, the next step is
a question built from the events it would connect, never a template cause. A fact the user states
(``--fact``) answers the open step it speaks to and the chain continues from it.

Branches: ``trigger`` always; ``detection`` when a person noticed before monitoring or detection
came late; ``recovery`` when an attempt to recover failed, was held up or had to be repeated.
"""

from __future__ import annotations

import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.evidence import (
    Reading,
    Tagged,
    from_monitoring,
    is_slow,
    linked,
    read_incident,
    specific_stems,
)
from pm_agent.analysis.findings import (
    about_impact,
    began_after,
    began_after_sentence,
    cause_part,
    implicated,
    reverting_fix,
)
from pm_agent.analysis.limits import RaisedLimit, implicated_limit, raised_limit, shows_at_limit
from pm_agent.analysis.quoting import EXCERPT_LIMIT, evidence, quote, ref, said, when
from pm_agent.analysis.terms import content_stems, weight
from pm_agent.errors import InputError
from pm_agent.ingest.timeparse import format_minutes
from pm_agent.models import Evidence, Incident, TimelineEvent, WhyBranch, WhyChain, WhyStep

OPEN = "Not established by the data."
# Events that say how the response went, not why the failure happened.
NOT_A_CAUSE = ("observation", "mitigation", "retry", "recovery", "worked", "resolution", "communication")
MAX_CANDIDATES = 200  # the earliest findings a cause is looked for among (an incident of thousands of events has more)
GAP_KIND = (
    (re.compile(r"\b(?:alert\w*|monitor\w*|alarm\w*|observability|dashboards?)\b", re.I), "alert"),
    (re.compile(r"\b(?:tests?|tested|testing|staging|qa)\b", re.I), "test"),
    (re.compile(r"\b(?:capacity|limits?|quota|headroom)\b", re.I), "capacity"),
    (
        re.compile(r"\b(?:runbooks?|procedures?|documentation|documented|process|review|owner\w*|support)\b", re.I),
        "process",
    ),
)
GAP_FACT_RE = re.compile(
    r"\b(?:no|not|without|missing|lack\w*|never|nobody|none)\b[^.]{0,60}"
    r"\b(?:check|test\w*|canary|validat\w*|review\w*|alert\w*|gate|stage|limit|plan|runbook|monitor\w*|guard|"
    r"owner\w*|documentation|documented|procedure|process|staging|polic\w*)\b",
    re.IGNORECASE,
)


def run_five_whys(
    problem: str, incident: Incident | None = None, facts: list[str] | None = None, *, reading: Reading | None = None
) -> WhyChain:
    """A why-chain for ``problem``: from the incident's evidence where there is one, placing the stated ``facts``."""
    problem = (problem or "").strip() or (incident.title.strip() if incident else "")
    if not problem:
        raise InputError("the problem statement is empty; say what went wrong, e.g. 'checkout returned 502s'")
    stated = [f.strip() for f in facts or [] if f and f.strip()]
    if incident is None or not (incident.events or incident.undated_events):
        branches = [facts_branch(problem, stated)]
    else:
        reading = reading if reading is not None else read_incident(incident)
        branches = [trigger_branch(problem, reading)]
        branches += [b for b in (detection_branch(reading), recovery_branch(reading)) if b is not None]
        branches = place_facts(branches, stated)
    return WhyChain(
        problem=problem,
        branches=branches,
        to_confirm=any(step.hypothesis for branch in branches for step in branch.steps)
        or any(not b.root_cause for b in branches),
        services=list(incident.services) if incident else [],
        severity=incident.severity if incident else None,
    )


# --- steps ----------------------------------------------------------------------------------------


def cited(why: str, because: str, *events: Tagged | TimelineEvent, focus: re.Pattern[str] | None = None) -> WhyStep:
    """A step resting on events; ``because`` quotes them."""
    return WhyStep(why=why, because=because, evidence=[_evidence(e, focus) for e in events], hypothesis=False)


def ask(why: str, question: str) -> WhyStep:
    """A step the data does not answer: the question the review must settle."""
    return WhyStep(why=why, because=OPEN, question=question, hypothesis=True)


def stated(why: str, fact: str) -> WhyStep:
    """A step answered by a fact the user stated."""
    return WhyStep(why=why, because=fact, facts=[fact], hypothesis=False)


def _evidence(item: Tagged | TimelineEvent, focus: re.Pattern[str] | None) -> Evidence:
    event = item.event if isinstance(item, Tagged) else item
    if isinstance(event, TimelineEvent):
        return evidence(event, focus)
    return Evidence(source=event.source, excerpt=quote(event, focus), time_text=event.time_text)


# --- the trigger branch ---------------------------------------------------------------------------


def trigger_branch(problem: str, reading: Reading) -> WhyBranch:
    """From the symptom to what set it off, as far as the data goes, then the question that would go further."""
    symptom = first_symptom(reading)
    raised = raised_limit(reading)
    steps = [symptom_step(problem, symptom, raised)]
    cause = cause_of(symptom, reading)
    trigger = reading.trigger
    subject = f'"{problem.rstrip(".?! ")}"'
    if cause is not None:
        lead = "The data suggests a cause" if cause.has("tentative") else "The data states a cause"
        steps.append(cited(f"Why did {subject} happen?", f"{lead}: {said(cause.event)}.", cause))
        deeper = deeper_cause(cause, reading)
        reason = cause_part(cause.text)
        if deeper is not None:
            steps.append(
                cited(
                    f"Why did {_subject(cause, reason)} happen?",
                    f"The data connects it with the event: {said(deeper.event)}.",
                    deeper,
                )
            )
        elif trigger is not None and trigger is not cause and linked(trigger, cause):
            steps.append(cited(f"What set {_subject(cause, reason)} off?", _trigger_because(trigger, reading), trigger))
        elif (dated := vocab.DATED_TO.search(cause.text)) is not None:
            steps += _dated_to_steps(cause, reason, dated)
        else:
            steps.append(
                ask(
                    f"Why did {_subject(cause, reason)} happen?",
                    f'What led to "{reason or quote(cause.event)}"? The data does not say.',
                )
            )
    elif trigger is not None:
        steps.append(cited(f"What set {subject} off?", _trigger_because(trigger, reading), trigger))
        steps.append(ask(f"How did the change lead to {subject}?", _mechanism_question(reading, trigger, subject)))
    elif reverting_fix(reading) is not None:
        steps.append(ask(f"What set {subject} off?", _mechanism_question(reading, None, subject)))
    elif raised is not None:
        steps += limit_steps(raised, reading, subject)
    elif [t for t in reading.findings if t is not symptom]:
        shown = "; ".join(f'"{quote(t.event)}"' for t in [t for t in reading.findings if t is not symptom][:3])
        steps.append(
            ask(
                f"What set {subject} off?",
                f"Which of these findings set it off, and how: {shown}? The data does not connect them to the failure.",
            )
        )
    elif steps[0].evidence and symptom is not None and not from_monitoring(symptom) and not symptom.has("report"):
        # the first sign is a thing the system did ("Host db-2 stopped responding"), not an alert's words or a
        # person's report: ask what made it happen
        steps.append(
            ask(
                f"What set {subject} off?",
                f'What made "{quote(symptom.event)}" happen (a deploy, a configuration, load, hardware, a dependency)? '
                "The data shows it as the first sign and names no change before it.",
            )
        )
    else:
        began = began_after(reading)
        steps.append(
            ask(
                f"What set {subject} off?",
                f"What changed just before {subject} (a deploy, a configuration, load, a dependency)? "
                "The data names no change or cause." + (f" {began_after_sentence(began)}" if began else ""),
            )
        )
    steps.append(safeguard_step(reading, trigger or cause, subject))  # a change passes checks, a finding does not
    root, kind, question = systemic(reading, cause or trigger, subject)
    if raised is not None and cause is None and trigger is None:  # what is known is the limit: ask about it
        steps[-1], question = limit_questions(raised, steps[-1], subject, question)
    return WhyBranch(label="trigger", steps=steps, root_cause=root, root_cause_question=question, systemic_kind=kind)


def _mechanism_question(reading: Reading, trigger: Tagged | None, subject: str) -> str:
    """What to ask about how the failure came about: a fix that reverted something implicates the change to it
    ("Fix committed to revert the module reference"), so ask what in that change broke it; else ask about the
    trigger."""
    revert = reverting_fix(reading)
    if revert is not None:
        step, what = revert
        same = f', and was that change "{quote(trigger.event)}"' if trigger is not None else ""
        return (
            f"What in the change to {what} made {subject} fail{same}? {implicated(step, what)} The data shows "
            "that reverting it ended the failure, not how it caused it."
        )
    return f'What in "{quote(trigger.event)}" made {subject} fail? The data gives the times, not the mechanism.'


def limit_steps(raised: RaisedLimit, reading: Reading, subject: str) -> list[WhyStep]:
    """A fix that raised a limit: the limit is implicated; then why the system was at it (the load the data states,
    and what the failure began after), and why the limit was where it was (a question: the data shows the raise,
    not the reasons for the old value)."""
    steps = [cited(f"Why did {subject} happen?", implicated_limit(raised), raised.step)]
    began = began_after(reading)
    after = f" {began_after_sentence(began)}" if began is not None else ""
    why = f"Why was {raised.limit} too low for the load at the time?"
    if raised.load is not None:
        shown = [raised.load, *([began] if began is not None else [])]
        steps.append(cited(why, f"The data states the load: {said(raised.load.event)}.{after}", *shown))
    else:
        steps.append(
            ask(
                why,
                f"What load brought {raised.component or 'the system'} to {raised.limit}? The data shows that "
                f"raising it ended the failure, not the load that reached it.{after}",
            )
        )
    steps.append(
        ask(
            f"Why was {raised.limit} where it was?",
            f"Who set {raised.limit} where it was, against what expected load, and when was it last checked against "
            "the load it now takes? The data shows that raising it ended the failure, not why it was set there.",
        )
    )
    return steps


def limit_questions(raised: RaisedLimit, safeguard: WhyStep, subject: str, systemic: str) -> tuple[WhyStep, str]:
    """Where a raised limit is all the data shows, the open safeguard step asks what would have alerted at that limit,
    and the systemic question asks who owns the limit and reviews it before the load comes. A safeguard the data
    records (a cited step) or a systemic cause it states stays as it is."""
    who = raised.component or "the system"
    shown = sorted(raised.at_limit, key=lambda t: not shows_at_limit(t))
    seen = f' ("{quote(shown[0].event)}")' if shown else ""
    if safeguard.hypothesis:
        safeguard = ask(
            safeguard.why, f"What would have alerted when {who} ran at {raised.limit}{seen}, before {subject} showed?"
        )
    if systemic:
        systemic = (
            f"Who owns {raised.limit}, and what reviews it against the load to come (a launch, a campaign, a peak) "
            "before it comes?"
        )
    return safeguard, systemic


def first_symptom(reading: Reading) -> Tagged | None:
    """The first event showing the failure itself, from the start on (else the detection)."""
    after = [t for t in reading.events if reading._after_start(t) and t is not reading.trigger]
    symptom = next((t for t in after if t.has("symptom", "alert", "report") and not t.has("recovery")), None)
    return symptom or reading.detection


def symptom_step(problem: str, symptom: Tagged | None, raised: RaisedLimit | None = None) -> WhyStep:
    """The first step: what showed the failure. An alert that only restates the problem answers nothing (the answer
    would be the question): the system at the limit a fix raised answers instead, else the step asks."""
    why = f"Why did this happen: {problem.rstrip('.?! ')}?"
    if symptom is None:
        return ask(why, "What did users or monitoring see first, and when? The data records no symptom.")
    if restates(symptom, problem):
        shown = sorted(raised.at_limit, key=lambda t: not shows_at_limit(t)) if raised is not None else []
        if shown:
            return cited(why, f"The data shows it running at {raised.limit}: {said(shown[0].event)}.", shown[0])
        return ask(
            why,
            f'What did the system do that made "{problem.rstrip(".?! ")}" show: which part failed or ran at a limit? '
            "The alert restates the problem and does not say.",
        )
    return cited(
        why,
        f"The failure showed: {said(symptom.event, vocab.TAG_PATTERNS['symptom'])}.",
        symptom,
        focus=vocab.TAG_PATTERNS["symptom"],
    )


def _what_was_seen(report: Tagged, reading: Reading) -> str:
    """What a first report says was seen, quoted; a report that names nothing ("Issue reported by a customer") gives
    the incident's title instead, as the thing monitoring should see."""
    if specific_stems(report.text) or not reading.incident.title.strip():
        return quote(report.event)
    return reading.incident.title.strip().rstrip(".")


def restates(symptom: Tagged, problem: str) -> bool:
    """The event says nothing the problem does not: every specific word of the problem, and at most
    ``RESTATED_EXTRA`` more ("Triggered: [#7731] Order confirmation queue age above 15 minutes via API" of "Order
    confirmation queue age above 15 minutes")."""
    said_in_problem = specific_stems(problem)
    return (
        bool(said_in_problem)
        and said_in_problem <= symptom.stems
        and len(symptom.stems - said_in_problem) <= RESTATED_EXTRA
    )


RESTATED_EXTRA = 1


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


def _trigger_because(trigger: Tagged, reading: Reading) -> str:
    if vocab.CULPRIT_MARK.search(trigger.text):
        return f"The input marks this change as where it started: {said(trigger.event)}."
    if reading.started is not None and trigger.at == reading.started:
        return f"It started with the change: {said(trigger.event)}."
    return f"The last change before it began: {said(trigger.event)}."


def safeguard_step(reading: Reading, changed: Tagged | None, subject: str) -> WhyStep:
    """Why nothing stopped it first: a safeguard gap or unintended change the data records, else the question of which
    check ``changed`` (the change that set it off, else the stated cause) got past."""
    why = f"Why was {subject} not caught earlier?"
    gap = next(iter(reading.tagged("gap")), None)
    if gap is not None:
        return cited(
            why,
            f"The data records a missing safeguard: {said(gap.event, vocab.TAG_PATTERNS['gap'])}.",
            gap,
            focus=vocab.TAG_PATTERNS["gap"],
        )
    unintended = next(iter(reading.tagged("unintended")), None)
    if unintended is not None:
        return cited(
            why,
            f"The data records the change as unintended: {said(unintended.event, vocab.TAG_PATTERNS['unintended'])}.",
            unintended,
            focus=vocab.TAG_PATTERNS["unintended"],
        )
    if changed is None:
        return ask(why, f"Which check, alert or review could have caught {subject} sooner, and why did none?")
    return ask(
        why,
        f'Which check, test or review did "{_said(changed)}" pass before it took effect, and why did none of them '
        "catch it?",
    )


def systemic(reading: Reading, cause: Tagged | None, subject: str) -> tuple[str, str, str]:
    """The systemic cause when the data states one (a recorded gap), else the question that would establish it."""
    gap = next(iter(reading.tagged("gap")), None)
    if gap is not None:
        return (
            f"The data records a missing safeguard: {said(gap.event, vocab.TAG_PATTERNS['gap'])}.",
            gap_kind(gap.text),
            "",
        )
    about = f'"{_said(cause)}"' if cause is not None else subject
    return (
        "",
        "unknown",
        (
            f"What in how this system is changed, tested or watched let {about} reach users, and who owns closing that gap?"
        ),
    )


def gap_kind(text: str) -> str:
    return next((kind for pattern, kind in GAP_KIND if pattern.search(text)), "safeguard")


# --- detection and recovery ----------------------------------------------------------------------


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
        lag = format_minutes(reading.detection_lag.total_seconds() / 60)
        first = cited(
            "Why did detection take so long?",
            f"The failure started at {when(reading.started)} and was first detected {lag} later: {said(detection.event)}.",
            detection,
        )
        growing = next((t for t in reading.tagged("growth", dated_only=True) if reading._after_start(t)), None)
        second = ask(
            "Why did no signal fire sooner?",
            f'Was anything watching what the data shows growing ("{quote(growing.event, vocab.TAG_PATTERNS["growth"])}"'
            f"), and why did it not alert before {when(detection.at)}?"
            if growing is not None  # "memory grows steadily since v5.2": a signal that was there to watch
            else f"What changed at {when(reading.started)} that monitoring could have seen?",
        )
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
    else:  # monitoring did catch it, late: ask for an earlier signal, not one that beats a person
        lag = format_minutes(reading.detection_lag.total_seconds() / 60)
        question = (
            f'What would have alerted on the failure sooner than "{quote(detection.event)}", {lag} after it began?'
        )
    return WhyBranch(label="detection", steps=[first, second], systemic_kind="unknown", root_cause_question=question)


def recovery_branch(reading: Reading) -> WhyBranch | None:
    """When an attempt to recover failed, was held up, or had to be run again, before the impact stopped: a job re-run
    once users were no longer affected is clean-up, not what made recovery take long."""
    failed = [a.step for a in reading.attempts if a.outcome == "failed"]
    held = [
        t
        for t in reading.tagged("blocked", "retry", dated_only=True)
        if not t.has("report", "alert", "observation") and (reading.detected is None or t.at >= reading.detected)
    ]
    hurdles = [
        t
        for t in dict.fromkeys([*failed, *held])
        if reading.mitigated is None or t.at is None or t.at <= reading.mitigated
    ]
    if not hurdles:
        return None
    first = hurdles[0]
    took = ""
    if reading.started and reading.mitigated:
        took = f" ({format_minutes((reading.mitigated - reading.started).total_seconds() / 60)} from the start)"
    steps = [
        cited(
            f"Why did recovery take as long as it did{took}?",
            f"A step did not go as planned: {said(first.event)}.",
            first,
        )
    ]
    reason = cause_part(first.text, limit=EXCERPT_LIMIT)
    if reason:  # the reason alone: the step itself was quoted one line up
        steps.append(
            cited(
                "Why did that step not work?",
                f"The data says why: {said(first.event.model_copy(update={'text': reason}))}.",
                first,
                focus=vocab.CONNECTIVE,
            )
        )
    else:
        steps.append(ask("Why did that step not work?", f'What stopped "{quote(first.event)}"? The data does not say.'))
    return WhyBranch(
        label="recovery",
        steps=steps,
        systemic_kind="unknown",
        root_cause_question=f'What would have let "{quote(first.event)}" work the first time?',
    )


# --- facts --------------------------------------------------------------------------------------


def place_facts(branches: list[WhyBranch], facts: list[str]) -> list[WhyBranch]:
    """Each stated fact answers the open step (or open root) it speaks to; the chain keeps its shape."""
    out = [b.model_copy(deep=True) for b in branches]
    for fact in facts:
        if not _answer(out, fact):  # nothing left open: kept, as what else the team knows, before the safeguard step
            trigger = out[0]
            trigger.steps.insert(max(len(trigger.steps) - 1, 1), stated("What else does the team know?", fact))
    for branch in out:
        branch_facts = [f for s in branch.steps for f in s.facts]
        gap = next((f for f in branch_facts if GAP_FACT_RE.search(f)), None)
        if not branch.root_cause and gap is not None:
            branch.root_cause, branch.root_cause_question, branch.systemic_kind = gap, "", gap_kind(gap)
    return out


def _answer(branches: list[WhyBranch], fact: str) -> bool:
    """Place ``fact``: beside the cited step it speaks to (it adds to what the data says there), else as the answer to
    the open step it speaks to (a tie, or no shared word, goes to the earlier step); False when no step is open."""
    fact_stems = {s for s in content_stems(fact) if weight(s) == 1.0}

    def overlap(text: str) -> int:
        return len(fact_stems & {s for s in content_stems(text) if weight(s) == 1.0})

    steps = [(b, i) for b in branches for i in range(len(b.steps))]
    open_scores = [
        (overlap(b.steps[i].question + " " + b.steps[i].why), n)
        for n, (b, i) in enumerate(steps)
        if b.steps[i].hypothesis
    ]
    cited_scores = [
        (overlap(b.steps[i].because + " " + " ".join(e.excerpt for e in b.steps[i].evidence)), n)
        for n, (b, i) in enumerate(steps)
        if not b.steps[i].hypothesis and not b.steps[i].facts
    ]
    best_open = max((score for score, _ in open_scores), default=0)
    best_cited = max((score for score, _ in cited_scores), default=0)
    if best_cited >= 2 and best_cited > best_open:
        # among steps citing the same words, the deeper one (the reason, not the event) takes the fact
        branch, index = steps[[n for score, n in cited_scores if score == best_cited][-1]]
        step = branch.steps[index]
        branch.steps[index] = step.model_copy(update={"facts": [*step.facts, fact]})
        return True
    if not open_scores:
        return False
    # A fact that names no step's words is taken as the answer to the first open question, usually the mechanism.
    chosen = next(n for score, n in open_scores if score == best_open)
    branch, index = steps[chosen]
    branch.steps[index] = stated(branch.steps[index].why, fact)
    return True


def facts_branch(problem: str, facts: list[str]) -> WhyBranch:
    """A problem with no incident data: the stated facts in order, then what is still open."""
    why = f"Why did this happen: {problem.rstrip('.?! ')}?"
    steps = [stated(why if i == 0 else "And why did that happen?", fact) for i, fact in enumerate(facts)]
    if not steps:
        steps.append(ask(why, "What was the first sign of the problem, and what changed just before it?"))
    steps.append(
        ask("What let it reach users?", "Which check, test, alert or review would have stopped it, and why did it not?")
    )
    gap = next((f for f in facts if GAP_FACT_RE.search(f)), None)
    return WhyBranch(
        label="trigger",
        steps=steps,
        root_cause=gap or "",
        systemic_kind=gap_kind(gap) if gap else "unknown",
        root_cause_question="" if gap else "What gap in the system or process let this happen, and who owns it?",
    )


# --- helpers ------------------------------------------------------------------------------------


def _said(tagged: Tagged) -> str:
    """The words of an event that carry its cause or its change, quoted."""
    focus = vocab.TAG_PATTERNS["cause_statement"] if tagged.has("cause_statement") else vocab.TAG_PATTERNS["change"]
    return quote(tagged.event, focus)


def _shares(a: Tagged, b: Tagged) -> bool:
    return bool(a.stems & b.stems)


def _dated_to_steps(cause: Tagged, reason: str, dated: re.Match[str]) -> list[WhyStep]:
    """The cause's own words date its start to an event ("since 2025-05-12, when the password was rotated", "since PR
    812"): that is
    the data's answer to what led to it, quoted; how the event led to it is the next question, as the data gives the
    time, not the mechanism."""
    event = (dated["when"] or dated["after"] or dated["change"]).strip(" ,.")
    subject = _subject(cause, reason)
    return [
        cited(f"Why did {subject} happen?", f"The data dates its start to: {event} {ref(cause.event)}.", cause),
        ask(
            f'How did "{event}" lead to {subject}?',
            f'What about "{event}" led to {subject}, and what would have caught it? The data gives the time, not how.',
        ),
    ]


def _subject(tagged: Tagged | None, fallback: str) -> str:
    """A short name for what an event shows, quoted from it."""
    if tagged is None:
        return f'"{fallback.rstrip(".")}"' if fallback else "the failure"
    text = quote(tagged.event, vocab.TAG_PATTERNS["symptom"])
    words = text.split()
    short = " ".join(words[:10]) + ("…" if len(words) > 10 else "")
    return f'"{short}"'
