"""Five Whys that follow the evidence: each step cites an event or a stated fact, or is a question to the team.

The problem and the event that first showed it (``WhyChain.first_signal``) are the chain's head, never
an answer: the alert that detected a failure restates it. The chain goes as far as the data goes: Why 1
is the nearest mechanism the data states, Why 2 what set that off where the data connects them (a change,
a limit, an earlier finding), and so on; where the data stops, the next step is a question built from the
events it would connect, never a template cause. A fact the user states (``--fact``) answers the open
step it speaks to and the chain continues from it.

Branches: ``trigger`` always; ``detection`` when a person noticed before monitoring, detection came late,
or the failure's own words date it before the record; ``recovery`` when an attempt to recover failed, was
held up or had to be repeated.
"""

from __future__ import annotations

import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.clauses import CAUSE, narrowed
from pm_agent.analysis.clauses import stated as meaning_of
from pm_agent.analysis.evidence import Reading, is_slow, read_incident
from pm_agent.analysis.findings import (
    about_impact,
    began_after,
    began_after_sentence,
    cause_part,
    fix_event,
    implicated,
    reverting_fix,
)
from pm_agent.analysis.limits import RaisedLimit, implicated_limit, raised_limit, shows_at_limit
from pm_agent.analysis.moments import dated_before_timeline
from pm_agent.analysis.quoting import EXCERPT_LIMIT, evidence, quote, ref, said, when
from pm_agent.analysis.tagging import Tagged, from_monitoring, linked, specific_stems
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
        reading = None
        branches = [facts_branch(problem, stated)]
    else:
        reading = reading if reading is not None else read_incident(incident)
        branches = [trigger_branch(problem, reading)]
        branches += [b for b in (detection_branch(reading), recovery_branch(reading)) if b is not None]
        branches = place_facts(branches, stated)
    return WhyChain(
        problem=problem,
        first_signal=first_signal(reading) if reading is not None else None,
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
    """From the failure to what set it off, as far as the data goes, then the question that would go further.

    The problem and its first signal are the chain's head (:func:`first_signal`), never an answer: the alert that
    detected the failure restates it. Why 1 is the nearest mechanism the data states (a cause statement or finding,
    else the system running at the limit a fix raised), or the question that would establish it; Why 2 is what set
    that off where the data connects them (a change, a limit, an earlier finding), and so on."""
    symptom = first_symptom(reading)
    raised = raised_limit(reading)
    cause = cause_of(symptom, reading)
    trigger = reading.trigger
    subject = f'"{problem.rstrip(".?! ")}"'
    why = f"Why did {subject} happen?"
    failing = None if cause is not None else dated_failure(reading, symptom)
    if cause is not None:
        steps = [mechanism_step(why, cause, symptom, reading)]
        steps += _behind_the_cause(cause, symptom, reading)
    elif failing is not None:
        failing_tagged, dated = failing
        steps = [
            cited(why, f"The data states a failure that began earlier: {said(failing_tagged.event)}.", failing_tagged),
            *_dated_to_steps(failing_tagged, dated, reading, _subject(failing_tagged, "")),
        ]
    elif trigger is not None:
        steps = [
            ask(why, _mechanism_question(reading, trigger, subject)),
            cited(f"What set {subject} off?", _trigger_because(trigger, reading), trigger),
        ]
    elif reverting_fix(reading) is not None:
        steps = [ask(why, _mechanism_question(reading, None, subject))]
    elif raised is not None:
        steps = limit_steps(raised, reading, subject)
    elif others := [t for t in reading.findings if t is not symptom]:
        shown = "; ".join(f'"{quote(t.event)}"' for t in others[:3])
        steps = [
            ask(
                why,
                f"Which of these findings set it off, and how: {shown}? The data does not connect them to the failure.",
            )
        ]
    elif symptom is not None and not from_monitoring(symptom) and not symptom.has("report"):
        # the first sign is a thing the system did ("Host db-2 stopped responding"), not an alert's words or a
        # person's report: ask what made it happen
        steps = [
            ask(
                why,
                f'What made "{quote(symptom.event)}" happen (a deploy, a configuration, load, hardware, a dependency)? '
                "The data shows it as the first sign and names no change before it.",
            )
        ]
    else:
        began = began_after(reading)
        steps = [
            ask(
                why,
                f"Which part of the system failed, and how, to make {subject} happen? The data states no mechanism: "
                f"{_first_seen(symptom)}",
            ),
            ask(
                f"What set {subject} off?",
                f"What changed just before {subject} (a deploy, a configuration, load, a dependency)? "
                "The data names no change or cause." + (f" {began_after_sentence(began)}" if began else ""),
            ),
        ]
    mechanism = cause or (failing[0] if failing is not None else None)
    # a change passes checks, a finding does not
    steps.append(safeguard_step(reading, trigger or cause, subject, already=(mechanism, trigger)))
    root, kind, question = systemic(reading, cause or trigger, subject)
    if raised is not None and cause is None and trigger is None:  # what is known is the limit: ask about it
        steps[-1], question = limit_questions(raised, steps[-1], subject, question)
    return WhyBranch(label="trigger", steps=steps, root_cause=root, root_cause_question=question, systemic_kind=kind)


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


def first_signal(reading: Reading) -> Evidence | None:
    """The event that first showed the failure, quoted for the chain's head beside the problem it shows."""
    symptom = first_symptom(reading)
    return _evidence(symptom, vocab.TAG_PATTERNS["symptom"]) if symptom is not None else None


def _first_seen(symptom: Tagged | None) -> str:
    """What the head quotes, said of the open mechanism step: what was seen, not why."""
    if symptom is None:
        return "it records no symptom either."
    seen = "an alert" if from_monitoring(symptom) else ("a report" if symptom.has("report") else "an event")
    return f"the first sign is {seen}, which shows the failure, not why."


def mechanism_step(why: str, cause: Tagged, symptom: Tagged | None, reading: Reading) -> WhyStep:
    """Why 1 when the data states a cause: the cause statement, quoted. When that statement is the event the head
    already quotes (a symptom that says its own "due to", an alert that says "because ..."), only its reason
    answers: the head quoted the rest, and the alert that detected the failure is no answer to why it happened."""
    lead = "The data suggests a cause" if cause.has("tentative") else "The data states a cause"
    reason = _own_reason(cause, symptom, reading)
    if reason:
        return cited(
            why,
            f"{lead} in the same event: {said(cause.event.model_copy(update={'text': reason}))}.",
            cause,
            focus=vocab.CONNECTIVE,
        )
    return cited(why, f"{lead}: {said(narrowed(cause.event, CAUSE))}.", cause)


def _own_reason(cause: Tagged, symptom: Tagged | None, reading: Reading) -> str:
    """The reason a cause statement gives, when the statement is also the failure's first sign or an alert's words;
    else "" (the statement is quoted whole)."""
    if cause is symptom or cause is reading.detection or from_monitoring(cause):
        return cause_part(cause.text, limit=EXCERPT_LIMIT).strip(" *_")
    return ""


def _behind_the_cause(cause: Tagged, symptom: Tagged | None, reading: Reading) -> list[WhyStep]:
    """Why 2 on, behind a stated cause: a finding that explains it further, else the change the data links it to
    (and then the earlier event the cause's words date a condition to, "since the 08:30 drain": the change met that
    condition, so how the condition came about is not asked again), else the event its own words date it to, else
    the question of what led to it. The cause is named by the words Why 1 quoted: its
    reason alone where the event is also the failure's first sign."""
    deeper = deeper_cause(cause, reading)
    reason = cause_part(cause.text)
    own = _own_reason(cause, symptom, reading)
    subject = _short(own) if own else _subject(cause, reason)
    trigger = reading.trigger
    dated = dated_in(cause.text)
    if deeper is not None:
        return [
            cited(f"Why did {subject} happen?", f"The data connects it with the event: {said(deeper.event)}.", deeper)
        ]
    if trigger is not None and trigger is not cause and linked(trigger, cause):
        steps = [cited(f"What set {subject} off?", _trigger_because(trigger, reading), trigger)]
        if dated is None:
            return steps
        if _names_the_change(dated[0], trigger):  # dated to the change just quoted: that step already answers
            return steps
        # a condition the change met: its date answers, and how it came about is asked only where nothing else is
        return steps + [s for s in _dated_to_steps(cause, dated, reading, subject) if not s.hypothesis]
    if dated is not None:
        return _dated_to_steps(cause, dated, reading, subject)
    return [ask(f"Why did {subject} happen?", f'What led to "{reason or quote(cause.event)}"? The data does not say.')]


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
    """A fix that raised a limit: the system running at it (where the data shows that) and the limit implicated;
    then why the system was at it (the load the data states, and what the failure began after), and why the limit
    was where it was (a question: the data shows the raise, not the reasons for the old value)."""
    why = f"Why did {subject} happen?"
    who = raised.component or "the system"
    shown = sorted(raised.at_limit, key=lambda t: not shows_at_limit(t))
    if shown:
        steps = [
            cited(why, f"The data shows {who} running at {raised.limit}: {said(shown[0].event)}.", shown[0]),
            cited(f"Why did {who} stop at {raised.limit}?", implicated_limit(raised), raised.step),
        ]
    else:
        steps = [cited(why, implicated_limit(raised), raised.step)]
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


def _what_was_seen(report: Tagged, reading: Reading) -> str:
    """What a first report says was seen, quoted; a report that names nothing ("Issue reported by a customer") gives
    the incident's title instead, as the thing monitoring should see."""
    if specific_stems(report.text) or not reading.incident.title.strip():
        return quote(report.event)
    return reading.incident.title.strip().rstrip(".")


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


def safeguard_step(
    reading: Reading, changed: Tagged | None, subject: str, already: tuple[Tagged | None, ...] = ()
) -> WhyStep:
    """Why nothing stopped it first: a safeguard gap or unintended change the data records, else the question of which
    check ``changed`` (the change that set it off, else the stated cause) got past. An event a step above already
    quoted (``already``) is quoted here by the clause that records the gap, not whole again."""
    why = f"Why was {subject} not caught earlier?"
    for tag, lead in (("gap", "a missing safeguard"), ("unintended", "the change as unintended")):
        found = next(iter(reading.tagged(tag)), None)
        if found is None:
            continue
        pattern = vocab.TAG_PATTERNS[tag]
        clause = _clause(found.text, pattern) if found in already else ""
        if clause:
            shown = said(found.event.model_copy(update={"text": clause}))
            return cited(why, f"The data records {lead} in the same event: {shown}.", found, focus=pattern)
        return cited(why, f"The data records {lead}: {said(found.event, pattern)}.", found, focus=pattern)
    if changed is None:
        return ask(why, f"Which check, alert or review could have caught {subject} sooner, and why did none?")
    return ask(
        why,
        f'Which check, test or review did "{_said(changed)}" pass before it took effect, and why did none of them '
        "catch it?",
    )


CLAUSE_SPLIT = re.compile(r"(?<=[.!?;])\s+")
COMMA_SPLIT = re.compile(r",\s+")


def _clause(text: str, pattern: re.Pattern[str]) -> str:
    """The clause of ``text`` that ``pattern`` matches ("the job exits with status 0 on failure" of "... since May 12;
    the job exits with status 0 on failure"; a comma's part where the text is one sentence; in one clause, the text
    from the words ``pattern`` matches on), or "" when that would be the whole text."""
    for splitter in (CLAUSE_SPLIT, COMMA_SPLIT):
        clauses = [c.strip(" .;,") for c in splitter.split(text.strip()) if c.strip(" .;,")]
        if len(clauses) >= 2:
            return next((c for c in clauses if pattern.search(c)), "")
    match = pattern.search(text)  # one clause: from the words that answer on ("unintended routing change ...")
    return text[match.start() :].strip(" .;,") if match is not None and match.start() > 0 else ""


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
    clause = _clause(earlier.text, vocab.TAG_PATTERNS["gap"]) if earlier.has("gap") else ""
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


def _whole_words(text: str) -> frozenset[str]:
    """The specific stems of ``text`` less those that are only a piece of another ("creat" of "created_at"): a
    component or mechanism ``text`` names, for finding another event that names it too."""
    stems = specific_stems(text)
    return frozenset(s for s in stems if not any(o != s and o.startswith(s) for o in stems))


def _names_the_change(dated: str, change: Tagged) -> bool:
    """Whether what a cause dates its start to ("since v5.2.0") is the change itself, by every specific word it
    names: then the change step above already says what the date would."""
    named = specific_stems(dated)
    return bool(named) and named <= change.stems


def _shares(a: Tagged, b: Tagged) -> bool:
    return bool(a.stems & b.stems)


def _dated_to_steps(cause: Tagged, dated: tuple[str, int], reading: Reading, fallback: str) -> list[WhyStep]:
    """The cause's own words date its start to an event ("since 2025-05-12, when the password was rotated", "since PR
    812"): that is the data's answer to what led to it, quoted. How the event led to it is answered by the step that
    ended the impact where that step names what the cause names ("backup-runner credentials updated" of "backup-runner
    logs show authentication failures"); else it is the next question, as the data gives the time, not the
    mechanism. What is dated is named by the words before the dating, in their clause, when they say enough."""
    event, start = dated
    named = re.split(r"[;.]\s+|:\s+", cause.text[:start])[-1].strip(" ,;:")
    subject = _short(named) if len(specific_stems(named)) >= 2 else fallback
    how = f'How did "{event}" lead to {subject}?'
    steps = [cited(f"Why did {subject} happen?", f"The data dates its start to: {event} {ref(cause.event)}.", cause)]
    fix = fix_event(reading)
    if fix is not None and fix is not cause and _whole_words(named) & fix.stems:
        steps.append(cited(how, f"The step that ended the impact shows what was broken: {said(fix.event)}.", fix))
    else:
        steps.append(
            ask(
                how,
                f'What about "{event}" led to {subject}, and what would have caught it? The data gives the time, not how.',
            )
        )
    return steps


def _subject(tagged: Tagged | None, fallback: str) -> str:
    """A short name for what an event shows, quoted from it."""
    if tagged is None:
        return f'"{fallback.rstrip(".")}"' if fallback else "the failure"
    return _short(quote(tagged.event, vocab.TAG_PATTERNS["symptom"]))


def _short(text: str) -> str:
    """``text`` quoted, cut to its first ten words."""
    words = text.split()
    return '"' + " ".join(words[:10]) + ("…" if len(words) > 10 else "") + '"'
