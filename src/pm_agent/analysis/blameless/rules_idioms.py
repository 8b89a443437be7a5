"""Blame idioms: "made a mistake", "screwed up", "messed up", "botched", "goofed", "dropped the
ball", "asleep at the wheel", "mistakes were made by".

Each names a person's lapse without saying what happened. The rewrite keeps what the sentence
says happened and drops the idiom and the person:

* "Bob made a mistake and pushed the bad config" -> "The bad config was pushed";
* "Omar made a mistake in the firewall rule" -> "There was an error in the firewall rule";
* "Maria messed up the rollout of v1.4" -> "The rollout of v1.4 went wrong";
* "We dropped the ball on rotating the keys" -> "The keys were not rotated";
* "the platform team dropped the ball and the certificate expired" -> "the certificate expired".

When the idiom and the person are all there is ("I screwed up."), nothing is left to say and the
sentence is flagged as written. The same words about a system are no blame ("our monitoring
dropped the ball": a capitalised word that is not a known name is taken as a system).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pm_agent.analysis.blameless.clauses import (
    LAPSE_WORDS,
    PARTICLE,
    REST,
    Guarded,
    Hit,
    in_object_position,
    missing_step,
    role_hit,
    strip_particle,
    system_action,
)
from pm_agent.analysis.blameless.grammar import gerund_to_base, is_past_tense, noun_phrase
from pm_agent.analysis.blameless.lexicon import ADVERB, AGENT, AGENT_TAIL

_WHO = rf"(?P<agent>{AGENT}){AGENT_TAIL}{ADVERB}"
_MADE_MISTAKE = Guarded(
    r"made",
    rf"{_WHO}\s+(?P<idiom>(?:had\s+|has\s+)?made\s+(?:an?\s+|some\s+|a\s+few\s+|a\s+couple\s+of\s+)?"
    rf"{LAPSE_WORDS})\b{REST}",
)
_WENT_WRONG = Guarded(
    r"screwed|messed|goofed|slipped|botched|bungled|fumbled|borked|blundered",
    rf"{_WHO}\s+(?P<idiom>(?:screwed|messed|goofed|slipped)\s+up|botched|bungled|fumbled|borked|goofed|blundered)\b"
    rf"{REST}",
)
_DROPPED_BALL = Guarded(r"ball", rf"{_WHO}\s+(?P<idiom>(?:had\s+|has\s+)?dropped\s+the\s+ball)\b{REST}")
_ASLEEP = Guarded(r"asleep", rf"{_WHO}\s+(?P<idiom>(?:was|were|fell|had\s+been)\s+asleep\s+at\s+the\s+wheel)\b{REST}")
_MISTAKES_BY = Guarded(
    r"made",
    rf"\b(?P<idiom>(?:[Mm]istakes|[Ee]rrors|[Aa]\s+mistake|[Aa]n\s+error)\s+(?:was|were)\s+made)"
    rf"\s+by\s+(?P<agent>{AGENT})",
)

_AND_ACTION = re.compile(rf",?\s+and\s+(?:then\s+)?(?P<verb>[a-z]+)\b{PARTICLE}(?P<rest>.*)$", re.S)
_AND_CLAUSE = re.compile(r",?\s+and\s+(?:so\s+|then\s+)?(?P<clause>\S.*)$", re.S)
_SEPARATOR = re.compile(r"\s*(?:[,:;]|\s[-–—])\s*(?:so\s+)?(?P<clause>\S.*)$", re.S)
_NEEDS_ANTECEDENT = re.compile(r"(?i)(?:which|that|who|whom|as|causing|leading|resulting|sending|so)\b")
_SUBORDINATE = re.compile(
    r"(?i)\b(?:because|since|as|when|while|after|before|if|although|though|so\s+that|that|until)\s+$"
)
_PREPOSITION = re.compile(r"\s+(?P<prep>in|with|on|during)\s+(?P<what>\S.*)$", re.S)
_WHEN_ACTION = re.compile(
    rf"\s+(?P<conj>when|while)\s+(?:(?:he|she|they|I|we|you)\s+)?(?P<verb>[a-z]+)\b{PARTICLE}(?P<rest>.*)$", re.S
)
_ON_GERUND = re.compile(r"\s+(?:on|with)\s+(?P<gerund>[a-z]+ing)\b(?P<rest>.*)$", re.S)
_ON_THING = re.compile(r"\s+(?:on|with)\s+(?P<what>\S.*)$", re.S)


def idiom_hits(sentence: str) -> list[Hit]:
    """Blame idioms aimed at a person, each with the edit that keeps what happened (if any)."""
    hits: list[Hit] = []
    rules: tuple[tuple[Guarded, str, Callable[[str], str | None]], ...] = (
        (_MADE_MISTAKE, "person_as_cause", _error_in),
        (_WENT_WRONG, "person_as_cause", _went_wrong),
        (_DROPPED_BALL, "counterfactual", _not_handled),
        (_ASLEEP, "character_judgement", _nothing),
    )
    for pattern, category, lapse in rules:
        for m in pattern.finditer(sentence):
            if in_object_position(sentence, m.start("agent")):
                continue
            replacement = _after_idiom(m["rest"], lapse, _SUBORDINATE.search(sentence, 0, m.start("agent")) is None)
            edit = (m.start("agent"), m.end("rest"), replacement) if replacement is not None else None
            hits += [Hit(category, m.start("agent"), m.end("idiom"), edit), *role_hit(m)]
    for m in _MISTAKES_BY.finditer(sentence):
        hits += [Hit("person_as_cause", m.start("idiom"), m.end("agent")), *role_hit(m)]
    return hits


def _after_idiom(rest: str, lapse: Callable[[str], str | None], main_clause: bool) -> str | None:
    """What the sentence says happened, once the idiom and the person are gone.

    "... and pushed the config" -> "the config was pushed"; "... and the certificate expired" ->
    "the certificate expired"; "..., sorry all: the flag was flipped" -> "sorry all: the flag was
    flipped" (in a main clause only: after "because Lee made a bad call," the rest is not the
    idiom's to drop); otherwise whatever ``lapse`` makes of the rest, or None when nothing is left.
    """
    action = _AND_ACTION.match(rest)
    if action and is_past_tense(action["verb"]):
        return system_action(action["verb"], strip_particle(action["particle"]), action["rest"])
    for joined in (_AND_CLAUSE.match(rest), _SEPARATOR.match(rest)) if main_clause else ():
        if joined and not _NEEDS_ANTECEDENT.match(joined["clause"]):
            return joined["clause"]
    return lapse(rest) if rest.strip() else None


def _error_in(rest: str) -> str | None:
    """ "made a mistake in the firewall rule" -> "there was an error in the firewall rule";
    "made a mistake when he edited the config" -> "there was an error when the config was edited"."""
    when = _WHEN_ACTION.match(rest)
    if when and is_past_tense(when["verb"]):
        action = system_action(when["verb"], strip_particle(when["particle"]), when["rest"])
        return f"there was an error {when['conj']} {action}" if action else None
    where = _PREPOSITION.match(rest)
    return f"there was an error {where['prep']} {where['what']}" if where else None


def _went_wrong(rest: str) -> str | None:
    """ "messed up the rollout of v1.4 to eu-west-1" -> "the rollout of v1.4 to eu-west-1 went wrong"."""
    thing, tail = noun_phrase(rest)
    return f"{thing} went wrong{tail}" if thing else None


def _not_handled(rest: str) -> str | None:
    """ "dropped the ball on rotating the keys" -> "the keys were not rotated";
    "dropped the ball on the cert renewal" -> "the cert renewal was not handled"."""
    gerund = _ON_GERUND.match(rest)
    if gerund:
        return missing_step(gerund_to_base(gerund["gerund"]), "", gerund["rest"])
    thing = _ON_THING.match(rest)
    if not thing:
        return None
    what, tail = noun_phrase(" " + thing["what"])
    return f"{what} was not handled{tail}" if what else None


def _nothing(rest: str) -> None:
    """ "asleep at the wheel while ..." says nothing that stands without the person: flag it."""
    return None
