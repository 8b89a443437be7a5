"""Plans for the findings the data leaves unexplained, and the questions for those that name no mechanism.

A finding that says how something misbehaved ("high cpu usage", "OOM-killed") gets a guard against it; one that
only says where or when the failure showed names nothing to guard against and becomes an open question
(:func:`finding_questions`), not an action.
"""

from __future__ import annotations

import re
from itertools import islice

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.actions.plan import (
    FINDING_QUOTE_WORDS,
    LEAD_VERB_RE,
    PRONOUN_LED_RE,
    Plan,
    first_words,
    lower_article,
)
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.findings import cause_part
from pm_agent.analysis.limits import raised_limit
from pm_agent.analysis.quoting import NOTES, cite, quote
from pm_agent.analysis.tagging import Tagged, from_monitoring, specific_stems
from pm_agent.analysis.whys.cause import cause_of, first_symptom
from pm_agent.models import UndatedEvent

MAX_FINDING_ACTIONS = 2
MAX_OPEN_FINDINGS = 8  # the open findings acted on or asked about, at most: the findings section quotes as many
# "The image resizer ran on the failing node, and it had high cpu usage": who ran where, then (after it) how much.
NEIGHBOUR_RE = re.compile(
    r"^(?:(?:found|noticed|saw) (?:that )?)?(?P<who>(?:the |a |an )?[\w./-]+(?: [\w./-]+){0,3}?) "
    r"(?:ran|runs|was running|were running|sat|was scheduled|were scheduled|was placed|lived) on "
    r"(?:the )?(?:same|unhealthy|failing|affected|broken|faulty|bad) "
    r"(?P<where>node|host|instance|machine|server|vm)s?\b",
    re.I,
)
RESOURCE_RE = re.compile(r"\bhigh (memory|cpu|disk|network|i/o|io)\b|\b(?:oom|out of memory)\b", re.I)
# The symptom words that only say the outcome (failed, errors, timeouts, down, slow, a status code), not how it came
# about: a finding whose symptom words are all of these says where or when it failed, and is asked, not acted on.
OUTCOME_ONLY_RE = re.compile(
    r"(?:fail\w*|errors?|exceptions?|outage|down|unavailable|unreachable|unable|cannot|can't|tim(?:e|ed|es|ing) ?out|"
    r"timeouts?|unresponsive|not ?ready|degrad\w*|slow(?:ness|ed)?|latency|[45]\d\ds?|[45]xx|broke|broken|"
    r"not (?:working|available|responding|reachable))",
    re.I,
)
FOUND_MECHANISM_RE = re.compile(r"\b(?:bug|regression|misconfigur\w*|mis-configur\w*|recalled|expired)\b", re.I)


def unexplained_finding_plans(reading: Reading, cause: Tagged | None) -> list[Plan]:
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
    who, where = lower_article(match["who"].strip()), match["where"].lower()
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
    """The findings no cause, trigger, symptom or raised limit already explains, and no alert (monitoring saying what
    it caught is how the failure was detected, not a finding to guard against), those naming an affected service
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
                and not (t.source == "alert" or from_monitoring(t))  # how it was caught: the alert already did
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
    return first_words(LEAD_VERB_RE.sub("", quote(tagged.event)).rstrip(" ,.;:"), FINDING_QUOTE_WORDS)
