"""Counterfactuals aimed at people: "Bob should have checked", "the DBA failed to take a snapshot",
"Alice forgot to renew", "he didn't bother", "she ignored the alert", "if Raj had run the plan".

Each rule needs a person (a name, a pronoun, "someone", or a role such as "the on-call engineer")
in the agent slot; the same words about a system ("the health check should have returned 200",
"the cache failed to warm") never match. Rules take one sentence and return :class:`Hit` objects.
"""

from __future__ import annotations

import re

from pm_agent.analysis.blameless.clauses import (
    PARTICLE,
    REST,
    Guarded,
    Hit,
    in_object_position,
    mentions_signal,
    missing_participle_step,
    missing_step,
    no_response,
    passive,
    role_hit,
    strip_particle,
)
from pm_agent.analysis.blameless.grammar import is_participle, participle_to_base, split_object
from pm_agent.analysis.blameless.lexicon import ADVERB, AGENT, AGENT_TAIL, NOBODY

_WHO = rf"(?P<agent>{AGENT}|{NOBODY}){AGENT_TAIL}{ADVERB}"
_VERB = r"(?P<verb>[a-z][a-z-]*)\b(?!\.\w)"  # a word, not the "v2" of "v2.3.1"

_MODAL = Guarded(
    r"should*|could*",
    rf"{_WHO}\s+(?P<modal>(?P<neg>(?:should|could)\s+(?:not|never)\s+have|(?:shouldn|couldn)['’]t\s+have)"
    rf"|(?:should|could)(?:\s+have|['’]ve))\s+(?:(?:just|simply|easily|at\s+least)\s+)?{_VERB}{PARTICLE}{REST}",
)
_TO = Guarded(
    r"fail*|neglect*|omit*|forg*|bother*|couldn*",
    rf"{_WHO}\s+(?P<trigger>(?:had\s+|has\s+)?failed\s+to|(?:had\s+)?(?:neglected|omitted)\s+to|forgot\s+to"
    r"|(?:had\s+)?forgotten\s+to|(?:didn['’]t|did\s+not|never)\s+bother(?:ed)?\s+to|bothered\s+to"
    rf"|couldn['’]t\s+be\s+bothered\s+to)\s+(?:(?:just|simply)\s+)?{_VERB}{PARTICLE}{REST}",
)
_BOTHER_GERUND = Guarded(r"bother*", rf"{_WHO}\s+(?P<trigger>(?:didn['’]t|did\s+not|never)\s+bother(?:ed)?)\s+{REST}")
_FORGOT_THING = Guarded(r"forg*", rf"{_WHO}\s+(?P<trigger>forgot|had\s+forgotten)(?:\s+about)?(?!\s+to\b){REST}")
_IGNORED = Guarded(
    r"ignor*|overlook*|disregard*|chose",
    rf"{_WHO}\s+(?P<trigger>(?:had\s+)?(?:ignored|overlooked|disregarded)|chose\s+to\s+ignore){REST}",
)
_IF_HAD = Guarded(
    r"if",
    rf"\b(?P<if>[Ii]f)\s+(?P<only>only\s+)?(?P<agent>{AGENT}){AGENT_TAIL}\s+had\s+(?:(?:just|only|simply)\s+)?"
    rf"{_VERB}{PARTICLE}(?P<rest>[^,;]*)",
)
# "Had Raj run the dry-run first, ... would not have happened": the main clause says what would have been.
_HAD_INVERTED = Guarded(
    r"would*|could*|might*",
    rf"(?:^|(?<=[,;:]\s))(?P<inverted>[Hh]ad)\s+(?P<agent>{AGENT}){AGENT_TAIL}\s+(?:(?:just|only|simply)\s+)?"
    rf"{_VERB}{PARTICLE}(?P<rest>[^,;]*)",
)
# Outcomes of an attempt, not omissions: "we failed to reproduce it", "she failed to log in".
_ATTEMPT_VERBS = frozenset("reproduce reach contact connect access log login authenticate acquire obtain get".split())
_KNOWING = frozenset(
    "known realized realised understood anticipated foreseen predicted expected recognized recognised guessed".split()
)


def counterfactual_hits(sentence: str) -> list[Hit]:
    """ "should have", "failed to", "forgot to", "neglected to", "didn't bother", "ignored", "if X had"."""
    hits: list[Hit] = []
    for rule in (_modal_hits, _to_hits, _bother_gerund_hits, _forgot_thing_hits, _ignored_hits, _if_had_hits):
        hits += rule(sentence)
    return hits


def _counterfactual(match: re.Match[str], replacement: str | None, span_end: str = "verb") -> list[Hit]:
    """The hit for a counterfactual; without a replacement the sentence is flagged as written."""
    edit = (match.start("agent"), match.end("rest"), replacement) if replacement is not None else None
    return [Hit("counterfactual", match.start("agent"), match.end(span_end), edit), *role_hit(match)]


def _modal_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _MODAL.finditer(sentence):
        if re.fullmatch(NOBODY, m["agent"]) or _hypothetical(sentence, m):
            continue
        if m["verb"] == "been":
            replacement = _should_have_been(m["rest"])
            if replacement is None:
                continue  # "should have been paged": the gap is the paging
        else:
            replacement = _modal_replacement(m["verb"], strip_particle(m["particle"]), m["rest"], bool(m["neg"]))
        hits += _counterfactual(m, replacement)
    return hits


def _hypothetical(sentence: str, m: re.Match[str]) -> bool:
    """A person who was not there: "appointing an incident manager could have helped", "a second
    reviewer could have caught it". These propose a change to the system; they blame no one."""
    if in_object_position(sentence, m.start("agent")):
        return True
    return bool(re.match(r"(?:[Aa]n?|[Aa]nother)\s", m["agent"])) and not m["modal"].lower().startswith("should")


def _modal_replacement(verb: str, particle: str, rest: str, negative: bool) -> str | None:
    """The system-focused clause for "<person> should (not) have <verb> <rest>", or None when no
    sentence without the person can say it (the sentence is then flagged as written)."""
    if negative:
        done = passive(verb, particle, rest, negative=False)
        if done:
            return f"{done} with no safeguard in the way"
        return f"nothing in the process stopped the step to {participle_to_base(verb)}{particle}{rest}"
    if verb == "had":
        return f"the setup lacked{rest}"
    if verb in {"avoided", "prevented"}:
        return None  # "could have avoided this by ..." judges with hindsight; no sentence keeps the fact without it
    if verb in _KNOWING:
        if rest.strip() == "better":
            return "the risk was not visible at the time"
        return f"nothing in the tooling showed{rest}"
    return missing_participle_step(verb, particle, rest)


def _should_have_been(rest: str) -> str | None:
    """ "should have been paged" is about a missing page (not blame); "been more careful" is blame."""
    words = rest.split()
    if not words or (is_participle(words[0]) and words[0] not in {"more", "less"}):
        return None
    condition = re.match(r"\s*(?:(?:more|less|a\s+bit|much)\s+)?[\w-]+(?P<tail>.*)$", rest, re.S)
    tail = condition["tail"] if condition else ""
    tail = re.sub(r"^\s+(?:with|about|around|when\s+using)\b", " for", tail)
    return f"the process offered no safeguard{tail}"


def _to_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _TO.finditer(sentence):
        if in_object_position(sentence, m.start("agent")):
            continue
        if m["verb"] in _ATTEMPT_VERBS and "fail" in m["trigger"]:
            continue
        if re.fullmatch(NOBODY, m["agent"]) and "bother" not in m["trigger"]:
            continue
        hits += _counterfactual(m, missing_step(m["verb"], strip_particle(m["particle"]), m["rest"]))
    return hits


def _bother_gerund_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _BOTHER_GERUND.finditer(sentence):
        if re.match(r"\s*\w+ing\b", m["rest"]):
            hits += _counterfactual(m, f"the process did not call for {m['rest'].strip()}", "trigger")
    return hits


def _forgot_thing_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _FORGOT_THING.finditer(sentence):
        if not re.fullmatch(NOBODY, m["agent"]) and m["rest"].strip():
            hits += _counterfactual(m, f"nothing in the process checked for {m['rest'].strip()}", "trigger")
    return hits


def _ignored_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _IGNORED.finditer(sentence):
        obj, tail = split_object(m["rest"])
        if not obj or re.fullmatch(NOBODY, m["agent"]):
            continue
        replacement = no_response(m["rest"]) if mentions_signal(obj) else f"{obj} went unnoticed{tail}"
        hits += _counterfactual(m, replacement, "trigger")
    return hits


def _if_had_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for pattern, inverted in ((_IF_HAD, False), (_HAD_INVERTED, True)):
        for m in pattern.finditer(sentence):
            if m["verb"] == "been" or not is_participle(m["verb"]):
                continue
            particle = strip_particle(m["particle"])
            obj, tail = split_object(m["rest"])
            if inverted:
                clause = f"{obj} been {m['verb']}{particle}{tail}" if obj else None
            elif obj:
                clause = f"{obj} had been {m['verb']}{particle}{tail}"
            else:
                clause = f"the process had prompted a step to {participle_to_base(m['verb'])}{particle}{m['rest']}"
            start = m.start("agent") if inverted or not m["only"] else m.start("only")
            edit = (start, m.end("rest"), clause) if clause else None
            opening = m.start("inverted" if inverted else "if")
            hits += [Hit("counterfactual", opening, m.end("verb"), edit), *role_hit(m)]
    return hits
