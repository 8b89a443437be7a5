"""Actions for this incident: first what the data already did or decided, then actions built from its own words.

Steps that stopped the impact are listed as done and follow-ups the data records as decided; then
one action per thing the data shows went wrong, built from the quoted component and mechanism
(what failed, how, what would have caught or contained it), each only where its premise holds:
no pre-production check proposed for a change something already caught, no alert tuning where no
alert existed, no rollback advice where the rollback failed. A finding that only says where or when the
failure showed names nothing to guard against: it becomes an open question (:func:`finding_questions`),
not an action. Owners are roles (or roster names), due dates count from the incident date by horizon,
and every action says what it addresses by quoting the event.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from itertools import islice

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.actions.remedies import remedies, remedies_with_clauses
from pm_agent.analysis.actions.smart import due_date, owner_for, priority
from pm_agent.analysis.evidence import Reading, Tagged, from_monitoring, is_slow, specific_stems
from pm_agent.analysis.findings import cause_part, consequence_split
from pm_agent.analysis.limits import LOAD_ROSE_RE, raised_limit, shows_at_limit
from pm_agent.analysis.quoting import NOTES, cite, quote, sentences_of, when
from pm_agent.analysis.whys.chain import cause_of, first_symptom
from pm_agent.ingest.timeparse import format_minutes
from pm_agent.models import ActionItem, UndatedEvent
from pm_agent.models.analysis import HIERARCHY

MAX_BUILT = 6
QUOTE_WORDS = 12
LEAD_VERB_RE = re.compile(
    r"^(?:(?:investigated|checked|looked) and )?(?:discovered|found|concluded|identified|realised|realized|noticed|"
    r"confirmed|determined)\s+(?:that\s+)?",
    re.I,
)
MAX_FINDING_ACTIONS = 2
FINDING_QUOTE_WORDS = 20
MAX_OPEN_FINDINGS = 8  # the open findings acted on or asked about, at most: the findings section quotes as many
MAX_DONE = 6  # the steps taken that a draft lists as done
MAX_GAP_ACTIONS = 2
CLAUSE_RE = re.compile(r";\s*|:\s+")
EXHAUSTED_RE = re.compile(
    r"\b(?:not enough|ran out of|run(?:s|ning)? out of|no (?:more )?free|exhausted (?:all|the|its)?)\s+"
    r"(?P<resource>(?:(?!(?:in|on|of|for|to|at|and|so|because)\b)[\w/.-]+ ?){1,4}"
    r"(?:(?<= )(?:in|on|of|for) (?:the |its |their )?[A-Za-z][\w/.-]*"
    r"(?: (?!(?:in|on|of|for|to|at|and|so|because)\b)[A-Za-z][\w/.-]*){0,2})?)",
    re.I,
)
# "On-call found /var/log ..." -> "/var/log ...": who saw it is not what grows.
SEEN_LEAD_RE = re.compile(r"^.{0,40}?\b(?:found|noticed|saw|sees|shows?|showed|spotted)\s+(?:that\s+)?", re.I)
GROWTH_RE = re.compile(
    r"^(?P<subject>[^,;:]{3,80}?)\s+(?:(?P<aux>has been|have been|has|have|had|is|are|was|were|kept|keeps|still)\s+)?"
    r"(?P<growing>(?:grow(?:s|ing|n)|climb(?:s|ing|ed)|fill(?:s|ing|ed)(?: up)?|leak(?:s|ing|ed))\b[^.;]{0,100})",
    re.I,
)
# "support is drafting a note for the accounts with missing rows": a message to the affected, being written.
NOTE_IN_PREPARATION_RE = re.compile(
    r"\b(?:is|are|am|'s|'re) (?:drafting|preparing|writing|putting together) (?:a |an |the )?"
    r"(?P<what>note|notice|notification|e-?mail|message|statement|letter|announcement)s? (?P<prep>for|to) "
    r"(?P<who>[^;.:]+)",
    re.I,
)
SENT_RE = re.compile(r"\b(?:sent|emailed|e-mailed|published|posted|notified|informed)\b", re.I)
# A change that is out as soon as it is made (a commit pushed to a repository), and one rolled out in steps.
PUBLISHED_RE = re.compile(r"\b(?:pushed|committed) to (?:the |a |an |our )?(?:[\w/.-]+ ){0,3}repo(?:sitory)?\b", re.I)
ROLLED_OUT_RE = re.compile(
    r"\b(?:deploy\w*|roll(?:ed|ing)? ?out|rollouts?|releas\w*|migrat\w*|canary|applied|regions?)\b", re.I
)
# A check people run by hand or on a calendar, which found the failure before monitoring or users did.
DRILL_RE = re.compile(
    r"\b(?:drills?|rehearsals?|game ?days?|dry[- ]runs?|chaos (?:tests?|experiments?)|test restores?|restore tests?|"
    r"audits?)\b",
    re.I,
)
# "The image resizer ran on the failing node, and it had high cpu usage": who ran where, then (after it) how much.
NEIGHBOUR_RE = re.compile(
    r"^(?:(?:found|noticed|saw) (?:that )?)?(?P<who>(?:the |a |an )?[\w./-]+(?: [\w./-]+){0,3}?) "
    r"(?:ran|runs|was running|were running|sat|was scheduled|were scheduled|was placed|lived) on "
    r"(?:the )?(?:same|unhealthy|failing|affected|broken|faulty|bad) "
    r"(?P<where>node|host|instance|machine|server|vm)s?\b",
    re.I,
)
RESOURCE_RE = re.compile(r"\bhigh (memory|cpu|disk|network|i/o|io)\b|\b(?:oom|out of memory)\b", re.I)
# "..., so it looked idle": a tool judged something by what it could see, and judged wrong.
MISJUDGED_RE = re.compile(
    r"^(?P<missed>.+?),? so (?:it|they|this|the \w+) (?:looked|appeared|seemed) (?P<state>[\w-]+)", re.I
)
ACTOR_RE = re.compile(
    r"^(?P<np>(?:the |a |an |our |its )?[\w./-]+(?: [\w./-]+){0,3}?) (?:[a-z]+ed|ran|saw|took|kept)\b", re.I
)
PRONOUN_LED_RE = re.compile(r"^(?:it|this|that|they|these|those|which)\b", re.I)
WATCHING_RE = re.compile(r"\b(?:alert|alerting|monitor\w*|dashboard|alarm)\b", re.I)
# What somebody saw, was told or found is not a step taken, whatever verb it quotes ("pods restarted 3 times").
NOT_DONE_BY_ANYONE = ("alert", "report", "finding", "acknowledgement", "declaration")
# Steps of the response that are no action item: taken by a system, only begun, people contacted, a step nobody
# meant ("unexpectedly reverts"), and one repeated as it was (:func:`_repeated_as_it_was`).
RESPONSE_ONLY = ("automatic", "begun", "communication", "gate_caught", "unintended")
RETRY_WITH_A_CHANGE_RE = re.compile(vocab.RETRY_WITH_A_CHANGE, re.I)
# The symptom words that only say the outcome (failed, errors, timeouts, down, slow, a status code), not how it came
# about: a finding whose symptom words are all of these says where or when it failed, and is asked, not acted on.
OUTCOME_ONLY_RE = re.compile(
    r"(?:fail\w*|errors?|exceptions?|outage|down|unavailable|unreachable|unable|cannot|can't|time(?:d)? ?out|"
    r"timeouts?|unresponsive|not ?ready|degrad\w*|slow(?:ness|ed)?|latency|[45]\d\ds?|[45]xx|broke|broken|"
    r"not (?:working|available|responding|reachable))",
    re.I,
)
FOUND_MECHANISM_RE = re.compile(r"\b(?:bug|regression|misconfigur\w*|mis-configur\w*|recalled|expired)\b", re.I)


@dataclass(frozen=True)
class Plan:
    """An action before owner, date and priority are set."""

    title: str
    done_when: str
    addresses: str
    area: str
    horizon: str
    hierarchy: str
    impact: str = "high"
    automated_check: bool = False


def propose_actions(
    reading: Reading, problem: str, incident_date: dt.date | None, roster: dict[str, str] | None = None
) -> list[ActionItem]:
    """Done and decided steps from the data, then the actions its findings call for, numbered A1, A2..."""
    incident = reading.incident
    service = next((s for s in incident.services if s.strip()), None)
    actions = done_steps(reading) + decided_steps(reading, incident_date, roster, service, incident.severity)
    plans = built_plans(reading, problem)
    built = [_action(p, service, incident.severity, incident_date, roster) for p in plans]
    built.sort(key=lambda a: (HIERARCHY.index(a.hierarchy), ("P1", "P2", "P3").index(a.priority)))
    return [a.model_copy(update={"id": f"A{n}"}) for n, a in enumerate([*actions, *built], start=1)]


# --- what the data already did or decided ------------------------------------------------------


def done_steps(reading: Reading) -> list[ActionItem]:
    """What the team already did that stays done: the fixes made once the failure had begun (a fix committed or
    deployed, a revert committed, a limit set, a version pinned, configuration changed in IaC, even after the
    incident closed), the recovery steps people completed up to its end (all but the ones that failed), and the
    notice sent to the people affected once the impact had stopped. Dated by the timeline; nobody is named as
    owner.

    The rest of the response is told by the timeline and what went well: a step repeated ("pipeline
    re-triggered"), one a system took by itself ("target groups reattached by the pipeline"), one only begun
    ("rollback triggered"), contacting people while it went on ("reached out to the customer"), and a change that
    is no step against the failure ("Pipeline run completed", "Corrective action delayed due to a state lock").
    Listed here they would read as if the failure had been dealt with for good.
    """
    symptom = first_symptom(reading)
    since, end = reading.detected or reading.started, reading.resolved or reading.mitigated
    fixes = [
        t
        for t in reading.tagged("lasting_fix", dated_only=True)
        if t is not reading.trigger
        and (since is None or t.at >= since)
        and not t.has("failed", "blocked", *NOT_DONE_BY_ANYONE)
    ]
    completed = [
        a.step
        for a in reading.attempts
        if (end is None or a.step.at <= end)
        and a.outcome != "failed"
        and not a.step.has(*NOT_DONE_BY_ANYONE, *RESPONSE_ONLY)
        and not _repeated_as_it_was(a.step)
        and _a_step_against_the_failure(a.step)
    ]
    told = [
        t
        for t in reading.tagged("communication", dated_only=True)
        if not t.has("report")
        and vocab.AFFECTED_RE.search(t.text)
        and reading.mitigated is not None
        and t.at > reading.mitigated
    ]
    done = list({t.order: t for t in [*fixes, *completed]}.values())[:MAX_DONE]  # a fix may also be a recovery step
    steps = sorted({t.order: t for t in [*done, *told[:1]]}.values(), key=lambda t: t.order)
    addresses = f"The failure {cite(symptom.event)}" if symptom else ""
    return [
        ActionItem(
            title=_sentence(quote(step.event)),
            done_when=f"Done {cite(step.event)}.",
            due=step.at.date(),
            due_note="The date it was done, from the timeline.",
            horizon="immediate",
            hierarchy="administrative" if step in told else "engineering",
            priority="P2" if step in told else "P1",
            addresses=addresses,
            status="done",
            owner=None,
        )
        for step in steps
    ]


def _a_step_against_the_failure(step: Tagged) -> bool:
    """A mitigation, or a change that names what it changed; not one held up ("Corrective action delayed due to a
    state lock") nor one that names nothing ("Pipeline run completed")."""
    return step.has("mitigation") or (bool(step.stems) and not step.has("blocked"))


def _repeated_as_it_was(step: Tagged) -> bool:
    """A step run again as it was ("pipeline re-triggered due to a timeout"), not with something changed ("backfill
    re-run with the lookup made optional")."""
    return step.has("retry") and not RETRY_WITH_A_CHANGE_RE.search(step.text)


def decided_steps(
    reading: Reading,
    incident_date: dt.date | None,
    roster: dict[str, str] | None,
    service: str | None,
    severity: str | None,
) -> list[ActionItem]:
    """Follow-ups the data records as decided or tracked: open until the team closes them."""
    out = []
    for tagged in reading.tagged("followup")[:3]:  # the tag leaves out a negated one: "no ticket filed"
        plan = Plan(
            title=f'Carry out the follow-up recorded in the timeline: "{_followup_quote(tagged)}"',
            done_when=f"The follow-up recorded {cite(tagged.event)} is closed, with a link to the change that did it.",
            addresses=f"Recorded {cite(tagged.event)}.",
            area="service",
            horizon="short",
            hierarchy="engineering",
        )
        out.append(_action(plan, service, severity, incident_date, roster))
    out += [_action(plan, service, severity, incident_date, roster) for plan in _notes_in_preparation(reading)]
    return out


def _followup_quote(tagged: Tagged) -> str:
    """The sentence that records the follow-up, whole up to a point: "Mobile team will look at the retry loop ..." of
    "Resolved. Mobile team will look at the retry loop ...", not the sentence before it."""
    pattern = vocab.TAG_PATTERNS["followup"]
    text = quote(tagged.event)
    sentence = next((s for s in sentences_of(text) if pattern.search(s)), text)
    return _short(sentence.rstrip(" ."), FINDING_QUOTE_WORDS)


def _notes_in_preparation(reading: Reading) -> list[Plan]:
    """A message to the people affected that the data shows being written ("support is drafting a note for the
    accounts with missing rows") and never shows sent: sending it is decided, and still open."""
    plans = []
    for tagged in reading.events:
        match = NOTE_IN_PREPARATION_RE.search(tagged.text)
        if match is None or _sent_later(reading, tagged, match["who"]):
            continue
        what, prep, who = match["what"].lower(), match["prep"].lower(), match["who"].strip(" ,")
        plans.append(
            Plan(
                title=f"Send the {what} being drafted {prep} {who} to each of them",
                done_when=f"Every one of {who} has received the {what}, and who received it is recorded.",
                addresses=f"In preparation {cite(tagged.event, NOTE_IN_PREPARATION_RE)}.",
                area="incident",
                horizon="immediate",
                hierarchy="administrative",
            )
        )
    return plans[:1]


def _sent_later(reading: Reading, drafted: Tagged, who: str) -> bool:
    """A later message to the same people: "note sent to the affected accounts"."""
    named = specific_stems(who)
    return any(
        t.order > drafted.order and t.has("communication") and SENT_RE.search(t.text) and t.stems & named
        for t in reading.events
    )


# --- actions built from the findings -----------------------------------------------------------


def built_plans(reading: Reading, problem: str) -> list[Plan]:
    """One plan per thing the data shows went wrong, in the order cause, change, detection, recovery, gaps."""
    symptom = first_symptom(reading)
    cause = cause_of(symptom, reading)
    plans = [*_cause_plan(cause), *_change_plan(reading, cause, problem), *_limit_plans(reading)]
    plans += _finding_plans(reading, cause)
    plans += _detection_plans(reading, problem)
    plans += _recovery_plans(reading) + _redundancy_plans(reading) + _growth_plans(reading) + _exhaustion_plans(reading)
    plans += _unintended_plans(reading) + _gap_plans(reading) + _misjudged_plans(reading) + _drill_plans(reading)
    plans += _declaration_plans(reading)
    unique: dict[str, Plan] = {}
    for plan in plans:
        unique.setdefault(plan.title.lower(), plan)
    return list(unique.values())[:MAX_BUILT]


def _cause_plan(cause: Tagged | None) -> list[Plan]:
    if cause is None or remedies(cause.event.text, vocab.TAG_PATTERNS["gap"]):
        return []  # a cause that names a missing safeguard gets the gap's own action instead
    if EXHAUSTED_RE.search(cause_part(cause.text)):
        return []  # a resource that ran out gets headroom and an alert (the exhaustion action), not a check on "it"
    reason = _short(cause_part(cause.text))
    effect = _short(LEAD_VERB_RE.sub("", what_failed(cause.text)).rstrip(" ,.;:"))
    if not _names_something(reason, 2) or not _names_something(effect, 1) or cause.has("recovery"):
        return []  # "stops 'the Ingress' before it leads to 'the issue'" would say nothing; the questions ask instead
    return [
        Plan(
            title=f'Add a check that stops "{reason}" before it leads to "{effect}"',
            done_when=f'A test or drill that reproduces "{reason}" is stopped by the check before "{effect}" happens.',
            addresses=f"The cause the data states {cite(cause.event)}.",
            area="platform",
            horizon="short",
            hierarchy="engineering",
            automated_check=True,
        )
    ]


def _change_plan(reading: Reading, cause: Tagged | None, problem: str) -> list[Plan]:
    """Stop changes like the trigger when the failure they caused shows, quoting both; only where the change's
    failure showed as a symptom before anyone acted, and no canary or gate stopped it already."""
    trigger = reading.trigger
    if trigger is None or (cause is not None and cause is not trigger and cause_part(cause.text)):
        return []
    if reading.tagged("gate_caught"):
        return []  # a canary or release gate already stopped the change: never propose the gate that worked
    if PUBLISHED_RE.search(trigger.text) and not ROLLED_OUT_RE.search(trigger.text):
        return []  # a commit pushed to a repository is out once pushed: there is no rollout to halt
    symptom = _symptom_before_response(reading, trigger)
    if symptom is None:
        return []  # nothing a check during the change could have seen
    change = _short(quote(trigger.event))
    # An alert that names nothing ("Issue detected as a result of alerts") leaves the incident's own title
    named = symptom.has("symptom") or len(symptom.stems) >= vocab.FINDING_MIN_WORDS
    seen = _short(quote(symptom.event, vocab.TAG_PATTERNS["symptom"]) if named else problem)
    return [
        Plan(
            title=f'Halt changes like "{change}" automatically when "{seen}" shows during the rollout',
            done_when=f'In a staging run, a change like "{change}" that makes "{seen}" show is halted before it '
            "completes.",
            addresses=f"The change the data places at the start {cite(trigger.event)}, and the failure that followed "
            f"{cite(symptom.event, vocab.TAG_PATTERNS['symptom'])}.",
            area="platform",
            horizon="short",
            hierarchy="engineering",
            automated_check=True,
        )
    ]


def _limit_plans(reading: Reading) -> list[Plan]:
    """A fix that raised a limit: review the limit against the load the data states, and alert when the component
    runs at it, in the limit's and the component's own words. Not where the data says the limit was never reached
    (:func:`raised_limit` finds none then)."""
    raised = raised_limit(reading)
    if raised is None:
        return []
    who = raised.component or "it"
    limit = raised.limit if raised.component in raised.limit else f"{raised.limit} of {raised.component}"
    load = (
        f'the load the data states ("{_short(_clause(quote(raised.load.event), LOAD_ROSE_RE))}")' if raised.load else ""
    )
    shown = sorted(raised.at_limit, key=lambda t: not shows_at_limit(t))
    seen = f' ("{_short(quote(shown[0].event), FINDING_QUOTE_WORDS)}")' if shown else ""
    at = f", and the data shows it at the limit {cite(shown[0].event)}" if shown else ""
    return [
        Plan(
            title=f"Review {limit} against {load or f'the peak load {who} must take'} and alert when {who} "
            "runs at that limit",
            done_when=f"A load test at {'the load the data states' if load else 'that peak load'} stays under "
            f"{raised.limit}, and a drill that runs {who} at that limit{seen} fires the alert.",
            addresses=f"The fix raised the limit {cite(raised.step.event)}{at}.",
            area="service",
            horizon="short",
            hierarchy="engineering",
            automated_check=True,
        )
    ]


def _clause(text: str, focus: re.Pattern[str]) -> str:
    """The clause of ``text`` that ``focus`` matches ("order volume is up and ..." of "the links land on checkout;
    order volume is up and ..."), else the whole text."""
    clauses = (c for sentence in sentences_of(text) for c in CLAUSE_RE.split(sentence))
    return next((c for c in clauses if focus.search(c)), text).strip(" .,;:")


def _symptom_before_response(reading: Reading, trigger: Tagged) -> Tagged | None:
    """The first failure a system signalled after the change and before the first step taken against it: what
    people say in the chat is not a signal a check during the change could watch."""
    first_step = min(
        (
            a.step.at
            for a in reading.attempts
            if a.step.at is not None and a.step is not trigger and not a.step.has(*NOT_DONE_BY_ANYONE)
        ),
        default=None,
    )
    for tagged in reading.events:
        if tagged.at is None or trigger.at is None or tagged.at < trigger.at or tagged is trigger:
            continue
        if first_step is not None and tagged.at >= first_step:
            return None
        if tagged.source == "chat" and not from_monitoring(tagged):
            continue  # people talking about a ticket ("picking up ticket LG-17, orders missing") are no rollout signal
        if (
            tagged.has("symptom", "alert")
            and not tagged.has("recovery", "report", "declaration")
            and (not tagged.has("mitigation") or tagged.has(*NOT_DONE_BY_ANYONE))
        ):
            return tagged  # a user's report is for the detection action; a check during the change sees signals
    return None


def _finding_plans(reading: Reading, cause: Tagged | None) -> list[Plan]:
    """Findings the data leaves unexplained that name how something misbehaved: guard against each, and explain it.

    A finding about a component the incident names (one of its services) comes first; one that only says where or
    when the failure showed ("every failing request comes from two nodes") is asked instead
    (:func:`finding_questions`): guarding against "it" would be a vague action.
    """
    plans = []
    for tagged in _open_findings(reading, cause):
        if not names_a_mechanism(tagged.text):
            continue
        seen = _finding_quote(tagged)
        plans.append(
            _neighbour_plan(tagged, seen)
            or Plan(
                title=f'Add a limit or alert that catches "{seen}" early',
                done_when=f'A drill that repeats "{seen}" trips the limit or alert, and the review records why it '
                "happened.",
                addresses=f"A finding the data leaves unexplained {cite(tagged.event)}.",
                area="service",
                horizon="short",
                hierarchy="engineering",
                impact="medium",
            )
        )
        if len(plans) == MAX_FINDING_ACTIONS:
            break
    return plans


def _neighbour_plan(tagged: Tagged, seen: str) -> Plan | None:
    """A component the data says ran on the failing node and used much of a resource there ("The image resizer ran
    on the failing node, and it had high cpu usage"): a noisy neighbour. Give it a place of its own, or cap what
    it may use, so it cannot take down what shares the node with it."""
    match = NEIGHBOUR_RE.search(tagged.text)
    if match is None or PRONOUN_LED_RE.match(match["who"]) or len(specific_stems(match["who"])) < 1:
        return None
    who, where = _lower_article(match["who"].strip()), match["where"].lower()
    resource = RESOURCE_RE.search(tagged.text[match.end() :])
    limit = f"a limit on its {(resource.group(1) or 'memory').lower()}" if resource else "a limit on what it may use"
    return Plan(
        title=f"Run {who} apart from the workloads on the same {where}: a {where} group of its own, or {limit}",
        done_when=f'A drill that repeats "{seen}" leaves the other workloads on the {where} running.',
        addresses=f"A finding the data leaves unexplained {cite(tagged.event)}.",
        area="platform",
        horizon="short",
        hierarchy="engineering",
        impact="medium",
        automated_check=False,
    )


def finding_questions(reading: Reading) -> list[str]:
    """The questions for the unexplained findings that name no mechanism: what made it happen, and what would have
    caught it, quoting the finding."""
    cause = cause_of(first_symptom(reading), reading)
    return [
        f"The data does not say how this came about, {cite(t.event)}: what made it happen, and what would have "
        "caught it?"
        for t in _open_findings(reading, cause)
        if not names_a_mechanism(t.text)
    ][:MAX_FINDING_ACTIONS]


def _open_findings(reading: Reading, cause: Tagged | None) -> list[Tagged]:
    """The findings no cause, trigger, symptom or raised limit already explains, those naming an affected service
    first, then what someone found before what someone saw (among the first few in time order: a long timeline
    states thousands). An event at the limit a fix raised is what the review of that limit is about."""
    symptom = first_symptom(reading)
    known = [t for t in (cause, reading.trigger) if t is not None]
    raised = raised_limit(reading)
    at_limit = raised.at_limit if raised is not None else ()
    found = list(
        islice(
            (
                t
                for t in reading.findings
                if t not in (cause, symptom)
                and t not in at_limit
                and not cause_part(t.text)
                and not any(t.stems & k.stems for k in known)
                and not t.has("investigation")
                and not _a_reading_of_the_impact(t)
            ),
            MAX_OPEN_FINDINGS * 4,
        )
    )
    services = [specific_stems(s) for s in reading.incident.services if s.strip()]
    ranked = sorted(found, key=lambda t: (not any(_names(t, s) for s in services), t.has("observation")))
    return ranked[:MAX_OPEN_FINDINGS]


def _a_reading_of_the_impact(tagged: Tagged) -> bool:
    """A symptom seen, not something found: a metric reading ("p99 310 ms | errors 0.1%") or the notes' account of
    the impact ("Checkout was unavailable for 85 minutes"). Neither says anything to explain or guard against."""
    from_notes = isinstance(tagged.event, UndatedEvent) and tagged.event.time_text == NOTES
    return tagged.has("observation") and not tagged.has("finding") and (tagged.source == "metric" or from_notes)


def _names(tagged: Tagged, service: frozenset[str]) -> bool:
    """The event names the service: all of its words, or two of them ("Image Resizer" names "image-resizer")."""
    return bool(service) and len(tagged.stems & service) >= min(2, len(service))


def names_a_mechanism(text: str) -> bool:
    """The text says how something misbehaved ("high cpu usage", "OOM-killed", "a spike in queue lag", "a bug"),
    not only that requests failed or timed out and where."""
    how = [
        m.group(0)
        for m in vocab.TAG_PATTERNS["symptom"].finditer(text)
        if not vocab.NEGATED.search(text[: m.start()]) and not OUTCOME_ONLY_RE.fullmatch(m.group(0).strip())
    ]
    return bool(how) or bool(FOUND_MECHANISM_RE.search(text))


def _finding_quote(tagged: Tagged) -> str:
    """The finding in its own words, long enough to keep how it misbehaved ("... had high cpu usage all afternoon")."""
    return _short(LEAD_VERB_RE.sub("", quote(tagged.event)).rstrip(" ,.;:"), FINDING_QUOTE_WORDS)


def _detection_plans(reading: Reading, problem: str) -> list[Plan]:
    detection, alert = reading.detection, reading.first_alert
    if detection is None:
        return []
    if alert is not None and not from_monitoring(alert):
        alert = None  # "paged by support": a person passing the report on, not an alert to make page sooner
    subject = _short(problem)
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
                title=f'Make the alert "{_short(quote(alert.event))}" page before users notice "{subject}"',
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


def _recovery_plans(reading: Reading) -> list[Plan]:
    plans = []
    # A canary that "FAILED ... and rolled back" is an alert that worked, not a recovery that failed.
    failed = [a for a in reading.attempts if a.outcome == "failed" and not a.step.has("alert", "gate_caught")]
    for attempt in failed[:2]:
        reason = _short(cause_part(attempt.step.text))
        if not reason:
            continue
        plans.append(
            Plan(
                title=f'Change the recovery path so that "{reason}" no longer stops it '
                f'("{_short(what_failed(attempt.step.text))}")',
                done_when=f'A rehearsal of the step with "{reason}" injected completes and restores service.',
                addresses=f"A recovery step did not work {cite(attempt.step.event)}.",
                area="platform",
                horizon="short",
                hierarchy="engineering",
                impact="medium",
            )
        )
    return plans


def _redundancy_plans(reading: Reading) -> list[Plan]:
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
    failed, taken = _short(quote(lost.event)), _short(quote(failover.event))
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


def _growth_plans(reading: Reading) -> list[Plan]:
    """A resource the data shows growing, filling or leaking: cap it and alert before it runs out, in the data's
    own words ("/var/log on the index nodes growing by 2 GB per hour" -> "Cap /var/log on the index nodes ...")."""
    for tagged in reading.tagged("growth"):
        if not tagged.has("finding", "observation", "symptom"):
            continue
        for clause in (c.strip() for s in sentences_of(tagged.text) for c in CLAUSE_RE.split(s)):
            match = GROWTH_RE.match(SEEN_LEAD_RE.sub("", clause))
            if match is None or len(specific_stems(match["subject"])) < 2:
                continue
            subject, growing = _lower_article(match["subject"].strip(" ,:")), _short(match["growing"].strip(" ,.;:"))
            return [
                Plan(
                    title=f"Cap {subject} and alert well before it runs out: it {_tense(match['aux'], growing)}{growing}",
                    done_when=f"A limit holds {subject} below what it can take, and an alert fires in a drill that "
                    f'makes it grow the way the data shows ("{growing}").',
                    addresses=f"The data shows it growing {cite(tagged.event, vocab.TAG_PATTERNS['growth'])}.",
                    area="service",
                    horizon="short",
                    hierarchy="engineering",
                    automated_check=True,
                )
            ]
    return []


def _exhaustion_plans(reading: Reading) -> list[Plan]:
    """A resource the data says ran out ("not enough free IP addresses in its subnets"): keep headroom and alert
    before it runs out, naming the resource as the data does."""
    for tagged in reading.events:
        match = EXHAUSTED_RE.search(tagged.text)
        if match is None or len(specific_stems(match["resource"])) < 2:
            continue
        resource = match["resource"].strip(" *_,.;:")
        return [
            Plan(
                title=f"Keep headroom in {resource} and alert well before it runs out",
                done_when=f"An alert fires in a drill that uses up {resource} the way the data shows "
                f'("{_short(match.group(0).strip(" *_"))}"), while headroom remains.',
                addresses=f"The data shows it running out {cite(tagged.event, EXHAUSTED_RE)}.",
                area="platform",
                horizon="short",
                hierarchy="engineering",
                automated_check=True,
            )
        ]
    return []


def _unintended_plans(reading: Reading) -> list[Plan]:
    hit = next(iter(reading.tagged("unintended", dated_only=True)), None)
    if hit is None:
        return []
    change = _short(quote(hit.event, vocab.TAG_PATTERNS["unintended"]))
    return [
        Plan(
            title=f'Reject unintended changes like "{change}" before they are applied',
            done_when=f'A test change that repeats "{change}" is rejected by the pipeline before it is applied.',
            addresses=f"The data records it as unintended {cite(hit.event, vocab.TAG_PATTERNS['unintended'])}.",
            area="platform",
            horizon="short",
            hierarchy="engineering",
            automated_check=True,
        )
    ]


def _gap_plans(reading: Reading) -> list[Plan]:
    """The safeguards the data says were missing, each turned into the action it asks for ("no alert on renewal
    failures" -> "Add an alert on renewal failures"); a gap no rule can turn around is quoted as it stands."""
    pattern = vocab.TAG_PATTERNS["gap"]
    plans: list[Plan] = []
    gaps = reading.tagged("gap")
    for gap in gaps:
        for title, clause in remedies_with_clauses(gap.event.text, pattern):
            failure = _failure_before(gap.event.text, clause, pattern)
            repeated = _short((failure or clause).replace(chr(34), chr(39)), FINDING_QUOTE_WORDS)
            plans.append(
                Plan(
                    title=title,
                    done_when=f'In place, and a test or drill that repeats "{repeated}" shows it catching the failure.',
                    addresses=f"The data records a missing safeguard {cite(gap.event, pattern)}.",
                    area="observability" if WATCHING_RE.search(title) else "service",
                    horizon="short",
                    hierarchy="engineering",
                    automated_check=True,
                )
            )
    if plans or not gaps:
        return plans[:MAX_GAP_ACTIONS]
    missing = _short(quote(gaps[0].event, pattern))
    return [
        Plan(
            title=f'Close the gap the data records: "{missing}"',
            done_when=f'What "{missing}" says is missing exists, and a drill shows it catching the failure.',
            addresses=f"The data records a missing safeguard {cite(gaps[0].event, pattern)}.",
            area="service",
            horizon="short",
            hierarchy="engineering",
        )
    ]


def _failure_before(text: str, gap_clause: str, gap: re.Pattern[str]) -> str | None:
    """The failure a missing safeguard let through, where the same event states it just before the gap: "the tax
    table migration stored yen amounts with the wrong number of decimals" of "...: the tax table migration stored yen
    amounts with the wrong number of decimals. Billing tests only cover pounds and euros". A test or drill that
    repeats it shows the safeguard works; a clause that states no failure ("Identified the migration as the
    trigger") is not one."""
    clauses = [c.strip(" .") for s in sentences_of(text) for c in CLAUSE_RE.split(s) if c.strip(" .")]
    at = next((i for i, c in enumerate(clauses) if gap_clause.strip(" .") in c or c in gap_clause), None)
    for clause in reversed(clauses[:at] if at is not None else []):
        if not gap.search(clause) and len(specific_stems(clause)) >= 2 and _states_a_failure(clause):
            return clause
    return None


def _states_a_failure(clause: str) -> bool:
    """The clause says something failed ("renewals failing", "stored the wrong amounts"), not only who found what
    ("Identified the migration as the likely trigger")."""
    return any(not vocab.NEGATED.search(clause[: m.start()]) for m in vocab.TAG_PATTERNS["symptom"].finditer(clause))


def _drill_plans(reading: Reading) -> list[Plan]:
    """A drill or other check run by hand found the failure before any alert or user: run what it checked on its own,
    on a schedule, and alert when it fails the way it did ("Mount of the newest ledger snapshot failed")."""
    drill, symptom = _drill_and_what_it_found(reading)
    if drill is None or symptom is None:
        return []
    checked = _short(_without_outcome(what_failed(symptom.text)))
    if not _names_something(checked, 2):
        return []
    return [
        Plan(
            title=f'Run "{checked}" automatically on a schedule, not only in the {_drill_name(drill.text)}, and alert '
            "when it fails",
            done_when="The scheduled run alerts the on-call in a test where it fails as it did: "
            f'"{_short(quote(symptom.event))}".',
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


def _misjudged_plans(reading: Reading) -> list[Plan]:
    """A tool that judged by what it could see and judged wrong ("The pruning job counted hits from the public load
    balancer only; the provider calls through the partner link, so it looked idle"): make the tool account for what
    it missed before it judges anything that way."""
    for tagged in reading.tagged("cause_statement"):
        for sentence in sentences_of(tagged.text):
            clauses = [c.strip() for c in CLAUSE_RE.split(sentence) if c.strip()]
            for index, clause in enumerate(clauses[1:], start=1):
                match, actor = MISJUDGED_RE.match(clause), ACTOR_RE.match(clauses[index - 1])
                if match is None or actor is None or PRONOUN_LED_RE.match(actor["np"]):
                    continue
                tool, missed, state = _lower_article(actor["np"]), match["missed"].strip(" ,"), match["state"]
                return [
                    Plan(
                        title=f'Make {tool} account for cases like "{missed}" before it treats anything as {state}',
                        done_when=f'A test where "{missed}" holds shows {tool} no longer treating it as {state}.',
                        addresses=f"The data states how it misjudged {cite(tagged.event)}.",
                        area="platform",
                        horizon="short",
                        hierarchy="engineering",
                        automated_check=True,
                    )
                ]
    return []


def _declaration_plans(reading: Reading) -> list[Plan]:
    late = reading.late_declaration
    if late is None:
        return []
    declared = _short(quote(late.event))
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


# --- helpers --------------------------------------------------------------------------------------


def what_failed(text: str) -> str:
    """What happened, without its stated cause: the part before "due to" (or before "failed: reason"), or after
    ", so"; no trailing "This is"."""
    match = vocab.CONNECTIVE.search(text)
    consequence = consequence_split(text) if match is None else None
    if consequence is not None:
        return consequence[1]
    if match is None and cause_part(text):
        match = re.search(r": ", text)
    head = text[: match.start()] if match else text
    head = re.sub(r"(?:\.\s*)?\b(?:this|it|which) (?:is|was)\s*$", "", head.strip(), flags=re.I)
    return re.sub(r"\s+(?:is|was|are|were|has been|have been|had been|been)\s*$", "", head.strip(), flags=re.I).strip(
        " ,.;:"
    )


def _tense(aux: str | None, growing: str) -> str:
    """The auxiliary before a growth verb in "it ... growing": "had grown", "kept growing", "was growing", "grows"."""
    aux = (aux or "").lower()
    if aux in ("has", "have", "had"):
        return "had "
    if aux in ("kept", "keeps"):
        return "kept "
    return "was " if aux or growing.split(" ", 1)[0].lower().endswith("ing") else ""


def _lower_article(phrase: str) -> str:
    """ "The fd count" -> "the fd count", inside a sentence we write."""
    head, _, rest = phrase.partition(" ")
    return f"{head.lower()} {rest}" if head in ("The", "A", "An", "Our", "Its", "Their") and rest else phrase


def _names_something(phrase: str, words: int) -> bool:
    """A clause that names a component or mechanism: not led by a pronoun, with at least ``words`` specific words."""
    return bool(phrase) and not PRONOUN_LED_RE.match(phrase) and len(specific_stems(phrase)) >= words


def _short(text: str, words: int = QUOTE_WORDS) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] if text else text


def _action(
    plan: Plan, service: str | None, severity: str | None, incident_date: dt.date | None, roster: dict[str, str] | None
) -> ActionItem:
    due, note = due_date(plan.horizon, incident_date)
    return ActionItem(
        title=plan.title,
        done_when=plan.done_when,
        owner=owner_for(plan.area, service, roster),
        due=due,
        due_note=note,
        horizon=plan.horizon,
        priority=priority(plan.impact, plan.horizon, severity),
        hierarchy=plan.hierarchy,
        addresses=plan.addresses,
        automated_check=plan.automated_check,
    )
