"""5 Whys: a chain of evidence-backed why/because steps ending at a systemic cause.

Offline and deterministic. The timeline gives the facts: the first symptom, the change or
load that set it off, how it was detected, what slowed recovery. Templates by cause
category (see ``why_rules``) give the systemic half: which safeguard was missing and why.
Every step cites the events it rests on, or a fact the user stated, or is marked a
hypothesis with the question that would confirm it. Chains end at something an
organisation can fix, never at a person.
"""

from __future__ import annotations

import datetime as dt
import re

from pm_agent.engines import cause_rules as rules
from pm_agent.engines import why_rules as wr
from pm_agent.engines.causes import (
    EventSet,
    TimelineReading,
    category_score,
    cite,
    classify_causes,
    excerpt,
    read_timeline,
    when,
)
from pm_agent.errors import InputError
from pm_agent.models import ChainReview, Evidence, Incident, TimelineEvent, WhyBranch, WhyChain, WhyStep

SLOW_RECOVERY = dt.timedelta(minutes=60)
MIN_STEPS = 3
GUARD_FACT_RE = re.compile(
    r"\b(no|not|without|missing|lack\w*|never|skipped|bypass\w*)\b[^.]{0,60}"
    r"\b(check|test\w*|canary|validation|validat\w*|review|alert\w*|gate|stage|limit|plan|runbook|monitor\w*|guard)",
    re.IGNORECASE,
)
ROOT_FACT_RE = re.compile(r"\b(not required|optional|no (policy|process|owner|standard)|nobody owns)\b", re.IGNORECASE)


def run_five_whys(
    problem: str,
    incident: Incident | None = None,
    facts: list[str] | None = None,
    *,
    slow_recovery: dt.timedelta = SLOW_RECOVERY,
    reading: TimelineReading | None = None,
) -> WhyChain:
    """Build a why-chain for ``problem`` from the incident's events and known facts.

    One ``trigger`` branch always; a ``detection`` branch when people reported the failure
    before any alert or detection came late; a ``recovery`` branch when recovery needed
    retries, was held up, or took longer than ``slow_recovery`` after detection.
    ``reading`` is ``read_timeline(incident)`` when the caller has it already.
    """
    problem = (problem or "").strip() or (incident.title.strip() if incident else "")
    if not problem:
        raise InputError("the problem statement is empty; say what went wrong, e.g. 'checkout returned 502s'")
    stated = [f.strip() for f in facts or [] if f and f.strip()]
    if incident is None or not incident.events:
        branches = [_hypothesis_branch(problem, stated)]
    else:
        reading = reading if reading is not None else read_timeline(incident)
        branches = [_trigger_branch(problem, incident, reading, stated)]
        branches += [b for b in (_detection_branch(reading), _recovery_branch(reading, slow_recovery)) if b]
    return WhyChain(
        problem=problem,
        branches=branches,
        to_confirm=any(step.hypothesis for branch in branches for step in branch.steps),
        services=list(incident.services) if incident else [],
        severity=incident.severity if incident else None,
    )


# --- building blocks ------------------------------------------------------------------------


def evidence(event: TimelineEvent, focus: re.Pattern[str] | None = None) -> Evidence:
    """The event as cited evidence: its time, source and a verbatim excerpt."""
    return Evidence(at=event.at, source=event.source, excerpt=excerpt(event.text, focus))


def confirmed(why: str, because: str, *events: tuple[TimelineEvent, re.Pattern[str] | None]) -> WhyStep:
    """A step resting on timeline events."""
    return WhyStep(why=why, because=because, evidence=[evidence(e, focus) for e, focus in events], hypothesis=False)


def guess(why: str, because: str, question: str, *events: tuple[TimelineEvent, re.Pattern[str] | None]) -> WhyStep:
    """A hypothesis, with the question that would confirm it and any event that supports it."""
    return WhyStep(
        why=why,
        because=f"{because} To confirm: {question}",
        evidence=[evidence(e, focus) for e, focus in events],
        hypothesis=True,
    )


def stated(why: str, fact: str) -> WhyStep:
    """A step resting on a fact the user stated."""
    return WhyStep(why=why, because=fact, facts=[fact], hypothesis=False)


def choose_template(categories: list[str], has_change: bool) -> wr.WhyTemplate:
    """The first template, in category order, that fits a change or a condition."""
    wanted = "change" if has_change else "condition"
    for category in categories:
        for template in wr.TEMPLATES:
            if template.category == category and template.applies_to in (wanted, "any"):
                return template
    return wr.GENERIC_CHANGE if has_change else wr.GENERIC_CONDITION


def assign_facts(facts: list[str]) -> dict[str, str]:
    """Each stated fact to the step it answers: the missing guard, the root, the trigger or the symptom."""
    roles: dict[str, str] = {}
    for fact in facts:
        for role, pattern in (
            ("guard", GUARD_FACT_RE),
            ("root", ROOT_FACT_RE),
            ("trigger", rules.CHANGE_RE),
            ("trigger", rules.LOAD_RE),
            ("symptom", rules.FAILURE_RE),
        ):
            if role not in roles and pattern.search(fact):
                roles[role] = fact
                break
    return roles


def _problem_why(problem: str) -> str:
    return f"Why did this happen: {problem.rstrip('.?! ')}?"


def _branch(label: str, steps: list[WhyStep], template: wr.WhyTemplate, categories: list[str]) -> WhyBranch:
    category = template.category if template.category != "other" else (categories[0] if categories else "other")
    return WhyBranch(
        label=label,
        steps=steps,
        root_cause=template.root_cause,
        systemic_kind=template.systemic_kind,
        category=category,
    )


def _guard_and_root_steps(
    template: wr.WhyTemplate, roles: dict[str, str], support: TimelineEvent | None
) -> list[WhyStep]:
    """The two systemic steps: why no safeguard stopped it, and why there is no safeguard."""
    if "guard" in roles:
        guard = stated(template.guard_why, roles["guard"])
    elif support is not None:
        lead = f"{template.guard_because} {template.guard_lead} {cite(support, template.guard_evidence)}."
        guard = guess(template.guard_why, lead, template.guard_question, (support, template.guard_evidence))
    else:
        guard = guess(template.guard_why, template.guard_because, template.guard_question)
    root_why = "Why was no such safeguard in place?"
    if "root" in roles:
        return [guard, stated(root_why, roles["root"])]
    return [guard, guess(root_why, template.root_because, template.root_question)]


# --- the branches ---------------------------------------------------------------------------


def _hypothesis_branch(problem: str, facts: list[str]) -> WhyBranch:
    """A problem statement alone: every step is a hypothesis unless a stated fact answers it."""
    text = " ".join([problem, *facts])
    categories = classify_causes(text)
    template = choose_template(categories, bool(rules.CHANGE_RE.search(text)))
    roles = assign_facts(facts)
    why = _problem_why(problem)
    first = (
        stated(why, roles["trigger"])
        if "trigger" in roles
        else guess(why, template.trigger_guess, template.trigger_question)
    )
    return _branch("trigger", [first, *_guard_and_root_steps(template, roles, None)], template, categories)


def _trigger_branch(problem: str, incident: Incident, reading: TimelineReading, facts: list[str]) -> WhyBranch:
    """What set the failure off, and which missing safeguard let it through."""
    trigger, symptom = reading.trigger, reading.symptom
    focus = [problem, incident.title, *facts] + [e.text for e in (trigger, symptom) if e is not None]
    if trigger is None:
        focus += [d.text for d in reading.diagnoses]
    categories = classify_causes(" ".join(dict.fromkeys(focus)))
    is_change = trigger is not None and (trigger.source == "deploy" or bool(rules.CHANGE_RE.search(trigger.text)))
    template = choose_template(categories, is_change)
    roles = assign_facts(facts)
    steps = [_symptom_step(problem, symptom, roles), _cause_step(reading, template, roles, is_change)]
    support = _guard_support(reading, template)
    steps += _guard_and_root_steps(template, roles, support)
    return _branch("trigger", steps, template, categories)


def _symptom_step(problem: str, symptom: TimelineEvent | None, roles: dict[str, str]) -> WhyStep:
    why = _problem_why(problem)
    if symptom is not None:
        return confirmed(why, f"The failure showed {cite(symptom, rules.FAILURE_RE)}.", (symptom, rules.FAILURE_RE))
    if "symptom" in roles:
        return stated(why, roles["symptom"])
    return guess(
        why, "The timeline does not show the first failure.", "Which component failed first, and what did it report?"
    )


def _cause_step(reading: TimelineReading, template: wr.WhyTemplate, roles: dict[str, str], is_change: bool) -> WhyStep:
    trigger, symptom = reading.trigger, reading.symptom
    why = "What set the failure off?"
    if trigger is not None and trigger is not symptom:
        kind = "a change" if is_change else "a rise in load"
        return confirmed(why, f"It followed {kind} {cite(trigger)}.", (trigger, None))
    if trigger is not None:
        return guess(
            "How did the change produce the failure?",
            "The timeline records the change and its effect together but not how one led to the other.",
            "What did the change alter, and how did that produce the failure?",
        )
    if "trigger" in roles:
        return stated(why, roles["trigger"])
    finding = _best_diagnosis(reading, template.category)
    if finding is not None:
        return confirmed(
            why, f"A finding was recorded {cite(finding, rules.DIAGNOSIS_RE)}.", (finding, rules.DIAGNOSIS_RE)
        )
    return guess(why, template.trigger_guess, template.trigger_question)


def _best_diagnosis(reading: TimelineReading, category: str) -> TimelineEvent | None:
    """The finding that says most about ``category`` (the earliest on a tie)."""
    findings = [d for d in reading.diagnoses if not rules.MISDIAGNOSIS_RE.search(d.text)]
    if not findings:
        return None
    return max(findings, key=lambda d: (category_score(d.text, category), -d.at.timestamp()))


def _guard_support(reading: TimelineReading, template: wr.WhyTemplate) -> TimelineEvent | None:
    """An event that supports the missing-safeguard hypothesis, up to resolution."""
    if template.guard_evidence is None:
        return None
    return next(
        (
            e
            for e in reading.events
            if template.guard_evidence.search(e.text) and (reading.resolved is None or e.at <= reading.resolved)
        ),
        None,
    )


def _detection_branch(reading: TimelineReading) -> WhyBranch | None:
    """Why monitoring did not catch the failure first (people reported it, or it came late)."""
    detection = reading.detection
    if detection is None or not (reading.reported_by_people or reading.detection_lag_is_long):
        return None
    start = _start_event(reading)
    alert = reading.first_alert
    if reading.reported_by_people:
        because = f"The first detection was a report {cite(detection, rules.HUMAN_REPORT_RE)}"
        first_why, focus = wr.DETECTION_REPORT_WHY, rules.HUMAN_REPORT_RE
    else:
        because = f"The first alert came {cite(detection, rules.ALERT_RE)}"
        first_why, focus = wr.DETECTION_DELAY_WHY, rules.ALERT_RE
    cited = [(detection, focus)]
    if start is not None and start.at < detection.at:
        because += f", after the failure started {cite(start)}"
        cited.append((start, None))
    elif reading.started is not None and reading.started < detection.at:
        because += f", after the failure started at {when(reading.started)}"
    steps = [confirmed(first_why, because + ".", *cited)]
    if reading.reported_by_people and alert is not None and alert.at > detection.at:
        steps.append(
            confirmed(
                wr.DETECTION_NO_ALERT_WHY,
                f"The first automated alert came only after the report, {cite(alert, rules.ALERT_RE)}.",
                (alert, rules.ALERT_RE),
            )
        )
    elif reading.reported_by_people:
        steps.append(guess(wr.DETECTION_NO_ALERT_WHY, wr.DETECTION_NO_ALERT_GUESS, wr.DETECTION_NO_ALERT_QUESTION))
    else:
        steps.append(
            guess(wr.DETECTION_LATE_ALERT_WHY, wr.DETECTION_LATE_ALERT_GUESS, wr.DETECTION_LATE_ALERT_QUESTION)
        )
    steps.append(guess(wr.DETECTION_ROOT_WHY, wr.DETECTION_ROOT_BECAUSE, wr.DETECTION_ROOT_QUESTION))
    root = wr.DETECTION_ROOT_CAUSE if reading.reported_by_people else wr.DETECTION_LATE_ROOT_CAUSE
    return WhyBranch(label="detection", steps=steps, root_cause=root, systemic_kind="alert", category="observability")


def _start_event(reading: TimelineReading) -> TimelineEvent | None:
    """The event at the stated start, else the trigger."""
    at_start = next((e for e in reading.events if reading.started and e.at == reading.started), None)
    return at_start or reading.trigger


def _recovery_branch(reading: TimelineReading, slow_recovery: dt.timedelta) -> WhyBranch | None:
    """Why recovery needed retries, was held up, or took long."""
    begin = reading.detected or reading.started
    window = [
        e for e in reading.events if begin and e.at >= begin and (reading.resolved is None or e.at <= reading.resolved)
    ]
    members = EventSet(window)
    retries = [e for e in reading.retries if e in members]
    blockers = [e for e in reading.blockers if e in members and e not in (reading.symptom, reading.detection)]
    slow = bool(begin and reading.resolved and reading.resolved - begin > slow_recovery)
    if not (retries or blockers or slow):
        return None
    steps = [_recovery_first_step(reading, window, members, retries, blockers)]
    steps.append(_recovery_second_step(reading, window, members, blockers, retries))
    steps.append(guess(wr.RECOVERY_ROOT_WHY, wr.RECOVERY_ROOT_BECAUSE, wr.RECOVERY_ROOT_QUESTION))
    return WhyBranch(
        label="recovery",
        steps=steps,
        root_cause=wr.RECOVERY_ROOT_CAUSE,
        systemic_kind="process",
        category="human-process",
    )


def _recovery_first_step(
    reading: TimelineReading,
    window: list[TimelineEvent],
    members: EventSet,
    retries: list[TimelineEvent],
    blockers: list[TimelineEvent],
) -> WhyStep:
    """``members`` holds the events of ``window``."""
    if retries:
        cites = "; ".join(cite(e, rules.RETRY_RE) for e in retries[:2])
        return confirmed(
            wr.RECOVERY_WHY_RETRIES,
            f"Recovery took more than one attempt: {cites}.",
            *((e, rules.RETRY_RE) for e in retries[:2]),
        )
    mitigations = EventSet(reading.mitigations)
    fix = next((e for e in reversed(window) if e in mitigations), None)
    start = reading.detection if reading.detection in members else (window[0] if window else None)
    if start is not None and fix is not None and fix is not start:
        because = (
            f"Detection came {cite(start)}; the last recovery action recorded before resolution came "
            f"{cite(fix, rules.MITIGATION_RE)}."
        )
        return confirmed(wr.RECOVERY_WHY_SLOW, because, (start, None), (fix, rules.MITIGATION_RE))
    if blockers:
        return confirmed(
            wr.RECOVERY_WHY_SLOW,
            f"Recovery was held up {cite(blockers[0], rules.BLOCKER_RE)}.",
            (blockers[0], rules.BLOCKER_RE),
        )
    end = f" and the incident was resolved at {when(reading.resolved)}" if reading.resolved else ""
    return guess(
        wr.RECOVERY_WHY_SLOW,
        f"Recovery began at {when(reading.detected or reading.started)}{end}.",
        "Which steps of the recovery took the longest, and why?",
    )


def _recovery_second_step(
    reading: TimelineReading,
    window: list[TimelineEvent],
    members: EventSet,
    blockers: list[TimelineEvent],
    retries: list[TimelineEvent],
) -> WhyStep:
    """``members`` holds the events of ``window``."""
    if blockers:
        held = blockers[:2]
        cites = "; ".join(cite(e, rules.BLOCKER_RE) for e in held)
        why = wr.RECOVERY_BLOCKER_WHY if retries else wr.RECOVERY_STALL_WHY
        return confirmed(why, f"Recovery was held up: {cites}.", *((e, rules.BLOCKER_RE) for e in held))
    retried = EventSet(retries)
    findings = [d for d in reading.diagnoses if d in members and d not in retried]
    found = next((d for d in findings if not rules.MISDIAGNOSIS_RE.search(d.text)), None)
    if found is None:
        return guess(wr.RECOVERY_DIAGNOSIS_WHY, wr.RECOVERY_GUESS, wr.RECOVERY_GUESS_QUESTION)
    because = f"The cause was identified {cite(found, rules.DIAGNOSIS_RE)}"
    cited = [(found, rules.DIAGNOSIS_RE)]
    missed = next((d for d in window if rules.MISDIAGNOSIS_RE.search(d.text) and d.at < found.at), None)
    if missed is not None:
        because += f", after an earlier investigation had not found it {cite(missed, rules.MISDIAGNOSIS_RE)}"
        cited.append((missed, rules.MISDIAGNOSIS_RE))
    return confirmed(wr.RECOVERY_DIAGNOSIS_WHY, because + ".", *cited)


# --- reviewing a chain ----------------------------------------------------------------------


def review_chain(steps: list[str]) -> ChainReview:
    """Check a user's chain (one 'because' per item): flag stops at people or vague causes.

    Blame (a named person, 'human error', 'the engineer forgot') is flagged wherever it is;
    vague stopping points ('a bug', 'config error', 'mistake', 'didn't follow the process',
    or a bare event) only at the last step, since the chain may go on past them.
    """
    items = [s.strip() for s in steps or [] if s and s.strip()]
    if not items:
        raise InputError("the chain is empty; give one 'because' per line")
    findings: list[str] = []
    questions: list[str] = []
    if len(items) < MIN_STEPS:
        findings.append(
            f"The chain has {len(items)} step{'s' if len(items) > 1 else ''}; keep asking why until it reaches "
            "a cause the organisation can fix (usually three or more steps)."
        )
        questions.append(wr.TOO_SHORT_QUESTION)
    last = len(items) - 1
    for index, step in enumerate(items):
        for finding, step_questions in _step_findings(step, is_last=index == last):
            findings.append(f"Step {index + 1} {finding}")
            questions += [q for q in step_questions if q not in questions]
    return ChainReview(ok=not findings, findings=findings, next_questions=questions)


def _step_findings(step: str, *, is_last: bool) -> list[tuple[str, tuple[str, ...]]]:
    found = []
    name = _named_person(step)
    if name:
        found.append(
            (
                f'names a person as the cause ("{name}"); '
                "ask what in the system made the action possible, not who did it.",
                wr.PERSON_QUESTIONS,
            )
        )
    for rule in wr.STOP_RULES:
        if (is_last or not rule.last_only) and rule.pattern.search(step):
            found.append((rule.finding, rule.questions))
    if is_last and not found and not wr.SYSTEMIC_MARKERS.search(step):
        found.append((wr.NOT_SYSTEMIC_FINDING, wr.NOT_SYSTEMIC_QUESTIONS))
    return found


def _named_person(step: str) -> str | None:
    """A person's name or handle used as the subject of a cause ("because Bob pushed...")."""
    handle = wr.HANDLE.search(step)
    if handle:
        return handle.group()
    for pattern in (wr.NAMED_PERSON, wr.NAMED_PERSON_POSSESSIVE):
        for match in pattern.finditer(step):
            name = match.group(1)
            if name.split()[0] not in wr.NOT_NAMES:
                return name
    return None
