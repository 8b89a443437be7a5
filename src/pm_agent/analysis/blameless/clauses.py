"""Shared pieces of the blame rules: what a rule reports (:class:`Hit`) and the system-focused
clauses a rule puts in place of a person ("the certificate was not renewed").

Every builder keeps the words it is given verbatim, so times, ids and names of systems survive;
it only drops the person and the blame verb and reorders what is left.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import ClassVar, Literal

from pm_agent.analysis.blameless.grammar import (
    PARTICLES,
    base_to_participle,
    be_past,
    is_past_tense,
    participle_to_base,
    past_to_participle,
    split_object,
)
from pm_agent.analysis.blameless.lexicon import AGENT, ROLE_NOUNS, ROLE_RE, SIGNAL_NOUNS, is_person
from pm_agent.textscan.required import required_word_sets
from pm_agent.textscan.words import WordIndex, fold, literal_pattern

Category = Literal["person_as_cause", "counterfactual", "character_judgement", "human_error", "hindsight", "role_blame"]

_WORD_RE = re.compile(r"[\w’'-]+")
# The rest of a clause, up to a semicolon or the sentence's closing punctuation.
REST = r"(?P<rest>[^;]*?)(?=;|[.!?]*[\"')\]]*\s*$)"
PARTICLE = r"(?P<particle>\s+(?:back|up|down|off|out|over)\b)?"
# Lookaround helpers: each reads around a match a guarded pattern already found.
# "... didn't test the rollback path" after "clearly": the negated action a hindsight word sat on.
_NOT_DONE = re.compile(rf"\s*(?:(?:didn['’]t|did\s+not)\s+(?P<base>[a-z]+)|never\s+(?P<past>[a-z]+))\b{PARTICLE}{REST}")
# " review" in "sloppy review by the platform team", and the " by <person>" that follows a judged thing.
_NOUN_BEFORE_BY = re.compile(r"(?:\s+[\w`-]+){1,3}?(?=\s+by\s)")
_BY_PERSON = re.compile(
    rf"\s+by\s+(?P<agent>{AGENT})(?:\s+(?:on|from|in)\s+(?:the|our|their)\s+(?:[\w-]+\s+){{0,2}}?"
    r"(?:team|squad|group))?\b"
)
_PEOPLE_COPULA = re.compile(
    rf"\b(?:{'|'.join(ROLE_NOUNS)})\s+(?P<be>was|were|is|are|had\s+been|have\s+been|got|became|seemed)\s+"
    r"(?:(?:so|very|too|really|pretty|quite|a\s+bit|totally|completely)\s+)?$",
    re.I,
)
# "mistake", "costly error", "bad call": what "made a ..." names as a person's lapse.
LAPSE_WORDS = r"(?:[\w-]+\s+)?(?:mistake|error|blunder|(?:bad|wrong|poor)\s+call)s?"
_LAPSE = re.compile(rf"\s+(?:an?\s+)?{LAPSE_WORDS}\b")
# Where the clause holding a position starts (for the subject of a passive verb).
_CLAUSE_START = re.compile(r"(?:^|[,;:]\s*|\b(?:and|but|because|so|when|while|after|before)\s+)(?=[^,;:]*$)")
_COORDINATED = re.compile(
    r"(?P<own>[^,;]*?)(?P<conj>,?\s+(?:and|but)\s+(?:then\s+)?)(?P<verb>[a-z]+)\b(?P<after>.*)$", re.S
)

# Edits are applied one at a time, lowest priority first, and the sentence is checked again.
PRIORITY: dict[str, int] = {
    "hindsight": 0,
    "character_judgement": 1,
    "human_error": 2,
    "counterfactual": 3,
    "person_as_cause": 4,
    "role_blame": 5,
}


@dataclass(frozen=True)
class Hit:
    """One piece of blame language in a sentence: the span to report and the edit that removes it.

    ``edit`` is ``(start, end, replacement)`` within the sentence; role findings carry none because
    the construction they are part of is rewritten as a whole.
    """

    category: Category
    start: int
    end: int
    edit: tuple[int, int, str] | None = None

    @property
    def priority(self) -> int:
        return PRIORITY[self.category]


class Guarded:
    """A compiled pattern that runs only when one of its trigger words is in the text.

    Most sentences lack the rule's trigger word ("should", "fault"), so the pattern rarely runs.
    A match counts only when its ``agent`` or ``poss`` group names a person (:func:`is_person`).
    ``needs`` is a ``|``-separated list of lower-case words; ``word*`` matches any word starting so.
    A rule finds nothing in a sentence without one of them that it would find with the pattern run
    anyway (tests/test_fast_paths.py compares every rule's hits both ways on the fixtures and real
    incidents). The trigger words of all rules are found together, by one scan of a sentence's
    words (:class:`pm_agent.textscan.words.WordIndex`).
    """

    _every: ClassVar[list[Guarded]] = []  # all guarded patterns: their trigger words are looked for together

    def __init__(self, needs: str, pattern: str) -> None:
        self.needs = tuple(" " + (key[:-1] if key.endswith("*") else key + " ") for key in needs.split("|"))
        self._source = pattern
        self._index = len(Guarded._every)
        Guarded._every.append(self)

    @classmethod
    def any_may_match(cls, text: str) -> bool:
        """False when no guarded pattern anywhere can match ``text``."""
        return any(cls._every[index]._may_match(text) for index in _triggered(text, len(cls._every)))

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Compiled on first use: a short text pays only for the rules its words can trigger."""
        return re.compile(self._source)

    @property
    def groupindex(self) -> Mapping[str, int]:
        return self.pattern.groupindex

    @cached_property
    def _held(self) -> tuple[re.Pattern[str], ...]:
        """Sets of words read off the pattern itself (:func:`required_word_sets`), each as one literal scan: every
        match holds a word of each. A trigger word ("error") set off by a text the pattern cannot match ("checkout
        api error on pod 7") then costs a scan, not every rule."""
        return tuple(re.compile(literal_pattern(words)) for words in required_word_sets(self.pattern))

    def _may_match(self, text: str) -> bool:
        """True when one of ``needs`` is in the text's spaced words and the words the pattern holds are in it."""
        if self._index not in _triggered(text, len(Guarded._every)):
            return False
        folded = fold(text)
        return all(words.search(folded) is not None for words in self._held)

    def finditer(self, text: str) -> Iterable[re.Match[str]]:
        """Like ``re.finditer``, skipping matches whose agent is not a person (and trying again after)."""
        return self._matches(text) if self._may_match(text) else ()

    def _matches(self, text: str) -> Iterator[re.Match[str]]:
        position = 0
        while (match := self.pattern.search(text, position)) is not None:
            if self._aims_at_people(match):
                yield match
                position = max(match.end(), match.start() + 1)
            else:
                position = match.start() + 1

    def match(self, text: str) -> re.Match[str] | None:
        match = self.pattern.match(text) if self._may_match(text) else None
        return match if match and self._aims_at_people(match) else None

    def _aims_at_people(self, match: re.Match[str]) -> bool:
        return all(is_person(match[group]) for group in ("agent", "poss") if group in self.groupindex and match[group])


@lru_cache(maxsize=256)
def _triggered(text: str, guards: int) -> frozenset[int]:
    """The indexes of the first ``guards`` guarded patterns that ``text`` has a trigger word of.

    One scan of the spaced words serves every rule (cached: each asks about the same sentence).
    """
    return _trigger_index(guards).keys_in(_spaced_words(text))


@lru_cache(maxsize=4)
def _trigger_index(guards: int) -> WordIndex[int]:
    """The trigger words of the first ``guards`` guarded patterns, each pattern by its index."""
    return WordIndex({guard._index: guard.needs for guard in Guarded._every[:guards]})


@lru_cache(maxsize=256)
def _spaced_words(text: str) -> str:
    """``"Bob's change, caused"`` -> ``" bob's change caused "`` (cached: every rule asks)."""
    return " " + " ".join(_WORD_RE.findall(text.lower())) + " "


def role_hit(match: re.Match[str], group: str = "agent") -> list[Hit]:
    """A ``role_blame`` hit when the matched agent is a role such as "the on-call engineer"."""
    agent = re.sub(r"['’]s?$", "", match.group(group) or "").strip()
    if agent and ROLE_RE.fullmatch(agent):
        start = match.start(group)
        return [Hit("role_blame", start, start + len(agent))]
    return []


_OBJECT_OF = re.compile(
    r"\b(?:by|with|to|for|from|of|about|than|have|hire|add|need|needed|assign|appoint"
    r"|(?!(?:morning|evening|during|something|nothing|anything|everything)\b)\w{2,}ing)\s+$"
)


def in_object_position(sentence: str, start: int) -> bool:
    """True when the words at ``start`` are the object of a preposition or a verb, not a subject:
    "human error by the on-call engineer caused ...", "appointing an incident manager could have helped"."""
    return _OBJECT_OF.search(sentence, 0, start) is not None


def negated_action(sentence: str, position: int) -> re.Match[str] | None:
    """ "didn't test the rollback path" (or "never tested ...") right at ``position``."""
    return _NOT_DONE.match(sentence, position)


def by_person_end(sentence: str, position: int) -> int | None:
    """Where a " by <person>" phrase starting at ``position`` ends ("by someone on the web team")."""
    by = _BY_PERSON.match(sentence, position)
    return by.end() if by and is_person(by["agent"]) else None


def noun_then_by_person_end(sentence: str, position: int) -> tuple[int, int] | None:
    """For "sloppy| review by the platform team": where the noun ends and where the person's phrase ends."""
    noun = _NOUN_BEFORE_BY.match(sentence, position)
    end = by_person_end(sentence, noun.end()) if noun else None
    return (noun.end(), end) if noun and end else None


def clause_start(sentence: str, position: int) -> int:
    """Where the clause holding ``position`` starts: after the last comma, colon or conjunction."""
    found = _CLAUSE_START.search(sentence, 0, position)
    return found.end() if found else 0


def judged_people_verb(sentence: str, start: int) -> int | None:
    """Where "were" starts in "support agents were [so] lazy": a judgement at ``start`` said of people
    named by a bare role noun (with an article, the predicate rules catch it); None otherwise."""
    copula = _PEOPLE_COPULA.search(sentence, 0, start)
    return copula.start("be") if copula else None


def names_a_lapse(rest: str) -> bool:
    """ "a mistake", "an error", "a bad call" as what a person made."""
    return _LAPSE.match(rest) is not None


def mentions_signal(noun_phrase: str) -> bool:
    return any(word.strip("`,.").lower() in SIGNAL_NOUNS for word in noun_phrase.split())


def passive(verb_participle: str, particle: str, rest: str, negative: bool = True) -> str | None:
    """``("renewed", "", " the certificate for x")`` -> ``"the certificate for x was not renewed"``.

    ``None`` when the verb has no object to promote to subject.
    """
    obj, tail = split_object(rest)
    if not obj:
        return None
    be = be_past(obj)
    return f"{obj} {be}{' not' if negative else ''} {verb_participle}{particle}{tail}"


def coordinated(rest: str) -> tuple[str, str] | None:
    """Split off a second action that had the same person as subject, retold with its own subject.

    ``" the freeze calendar and shipped v2.8"`` -> ``(" the freeze calendar", " and v2.8 was shipped")``;
    ``(rest, "")`` when there is none; ``None`` when that action has no object to stand as subject
    ("... but tried to fix it alone"): no sentence without the person can carry it.
    """
    m = _COORDINATED.match(rest)
    if not m or not is_past_tense(m["verb"]):
        return rest, ""
    obj, tail = split_object(m["after"])
    if not obj:
        return None
    return m["own"], f"{m['conj']}{obj} {be_past(obj)} {past_to_participle(m['verb'])}{tail}"


def unprompted_step(base: str, particle: str, rest: str) -> str:
    """The fallback when no object can become the subject: the process did not prompt the step."""
    return f"the process did not prompt anyone to {base}{particle}{rest}"


def missing_step(base: str, particle: str, rest: str) -> str | None:
    """What a counterfactual about a step becomes: the step did not happen (no person in it)."""
    split = coordinated(rest)
    if split is None:
        return None
    rest, more = split
    obj, _tail = split_object(rest)
    if base in {"notice", "see", "spot", "catch", "acknowledge", "heed"} and mentions_signal(obj):
        return no_response(rest) + more
    if base in {"respond", "react"} and rest.lstrip().startswith("to "):
        return no_response(rest.lstrip()[3:]) + more
    if rest.lstrip().startswith(("that ", "whether ")) and base in {"notice", "see", "realise", "realize", "know"}:
        return f"nothing in the tooling showed{rest}{more}"
    return (passive(base_to_participle(base), particle, rest) or unprompted_step(base, particle, rest)) + more


def missing_participle_step(participle: str, particle: str, rest: str) -> str | None:
    """Same as :func:`missing_step` for "should have <participle>" (``checked``, ``seen``)."""
    return missing_step(participle_to_base(participle), particle, rest)


def no_response(rest: str) -> str:
    """``" the alert at 14:05"`` -> ``"the alert at 14:05 did not lead to a response"``.

    A trailing duration stays at the end: "... did not lead to a response for 3 days".
    """
    signal, duration = re.match(r"(.*?)((?:\s+(?:for|during|until)\s+.*)?)$", rest.strip(), re.S).groups()
    return f"{signal} did not lead to a response{duration}"


def system_action(past_verb: str, particle: str, rest: str) -> str | None:
    """A person's action retold with the thing acted on as subject, the action kept.

    ``pushed`` the config ``to prod`` -> "the config was pushed to prod"; ``ran`` the migration ->
    "the migration ran". ``None`` when nothing was acted on ("Bob restarted at 14:00").
    """
    split = coordinated(rest)
    if split is None:
        return None
    rest, more = split
    obj, tail = split_object(rest)
    if not obj:
        return None
    if past_verb in {"ran", "executed"} and not particle:
        return f"{obj} ran{tail}{more}"
    return f"{obj} {be_past(obj)} {past_to_participle(past_verb)}{particle}{tail}{more}"


def strip_particle(particle: str | None) -> str:
    return particle if particle and particle.strip() in PARTICLES else ""
