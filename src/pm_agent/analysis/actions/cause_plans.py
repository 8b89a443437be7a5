"""Plans against what brought the incident about: the cause the data states, the change that started it, a tool
that misjudged, a change nobody meant, and the safeguards the data says were missing.

Each only where its premise holds: no pre-production check proposed for a change something already caught, no
halt for a commit that has no rollout.
"""

from __future__ import annotations

import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.actions.plan import (
    CLAUSE_RE,
    FINDING_QUOTE_WORDS,
    LEAD_VERB_RE,
    NOT_DONE_BY_ANYONE,
    PRONOUN_LED_RE,
    Plan,
    clause_parts,
    first_words,
    lower_article,
    names_something,
    what_failed,
)
from pm_agent.analysis.actions.remedies import remedies, remedies_with_clauses
from pm_agent.analysis.actions.resource_plans import EXHAUSTED_RE
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.factors import unintended_changes
from pm_agent.analysis.findings import cause_part
from pm_agent.analysis.quoting import cite, quote, sentences_of
from pm_agent.analysis.tagging import Tagged, from_monitoring, specific_stems

MAX_GAP_ACTIONS = 2
# A change that is out as soon as it is made (a commit pushed to a repository), and one rolled out in steps.
PUBLISHED_RE = re.compile(r"\b(?:pushed|committed) to (?:the |a |an |our )?(?:[\w/.-]+ ){0,3}repo(?:sitory)?\b", re.I)
ROLLED_OUT_RE = re.compile(
    r"\b(?:deploy\w*|roll(?:ed|ing)? ?out|rollouts?|releas\w*|migrat\w*|canary|applied|regions?)\b", re.I
)
# "..., so it looked idle": a tool judged something by what it could see, and judged wrong.
MISJUDGED_RE = re.compile(
    r"^(?P<missed>.+?),? so (?:it|they|this|the \w+) (?:looked|appeared|seemed) (?P<state>[\w-]+)", re.I
)
ACTOR_RE = re.compile(
    r"^(?P<np>(?:the |a |an |our |its )?[\w./-]+(?: [\w./-]+){0,3}?) (?:[a-z]+ed|ran|saw|took|kept)\b", re.I
)
WATCHING_RE = re.compile(r"\b(?:alert|alerting|monitor\w*|dashboard|alarm)\b", re.I)


def cause_plan(cause: Tagged | None) -> list[Plan]:
    if cause is None or remedies(cause.event.text, vocab.TAG_PATTERNS["gap"]):
        return []  # a cause that names a missing safeguard gets the gap's own action instead
    if EXHAUSTED_RE.search(cause_part(cause.text)):
        return []  # a resource that ran out gets headroom and an alert (the exhaustion action), not a check on "it"
    reason = first_words(cause_part(cause.text))
    effect = first_words(LEAD_VERB_RE.sub("", what_failed(cause.text)).rstrip(" ,.;:"))
    if not names_something(reason, 2) or not names_something(effect, 1) or cause.has("recovery"):
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


def change_plan(reading: Reading, cause: Tagged | None, problem: str) -> list[Plan]:
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
    change = first_words(quote(trigger.event))
    # An alert that names nothing ("Issue detected as a result of alerts") leaves the incident's own title
    named = symptom.has("symptom") or len(symptom.stems) >= vocab.FINDING_MIN_WORDS
    seen = first_words(quote(symptom.event, vocab.TAG_PATTERNS["symptom"]) if named else problem)
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


def unintended_plans(reading: Reading) -> list[Plan]:
    hit = next(iter(unintended_changes(reading)), None)
    if hit is None:
        return []
    change = first_words(quote(hit.event, vocab.TAG_PATTERNS["unintended"]))
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


def gap_plans(reading: Reading) -> list[Plan]:
    """The safeguards the data says were missing, each turned into the action it asks for ("no alert on renewal
    failures" -> "Add an alert on renewal failures"); a gap no rule can turn around is quoted as it stands."""
    pattern = vocab.TAG_PATTERNS["gap"]
    plans: list[Plan] = []
    gaps = reading.tagged("gap")
    for gap in gaps:
        for title, clause in remedies_with_clauses(gap.event.text, pattern):
            failure = _failure_before(gap.event.text, clause, pattern)
            repeated = first_words((failure or clause).replace(chr(34), chr(39)), FINDING_QUOTE_WORDS)
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
    missing = first_words(quote(gaps[0].event, pattern))
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
    clauses = [c.strip(" .") for c in clause_parts(text) if c.strip(" .")]
    at = next((i for i, c in enumerate(clauses) if gap_clause.strip(" .") in c or c in gap_clause), None)
    for clause in reversed(clauses[:at] if at is not None else []):
        if not gap.search(clause) and len(specific_stems(clause)) >= 2 and _states_a_failure(clause):
            return clause
    return None


def _states_a_failure(clause: str) -> bool:
    """The clause says something failed ("renewals failing", "stored the wrong amounts"), not only who found what
    ("Identified the migration as the likely trigger")."""
    return any(not vocab.NEGATED.search(clause[: m.start()]) for m in vocab.TAG_PATTERNS["symptom"].finditer(clause))


def misjudged_plans(reading: Reading) -> list[Plan]:
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
                tool, missed, state = lower_article(actor["np"]), match["missed"].strip(" ,"), match["state"]
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
