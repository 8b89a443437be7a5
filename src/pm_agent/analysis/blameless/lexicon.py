"""Word lists for the blameless-language engine: who counts as a person, what counts as a system.

Kept apart from the rules so the rules read as grammar and the lists can grow without touching
them. The lists themselves (names, system names, role nouns, judgement words, signal nouns) are
data, in ``pm_agent/data/blameless_lexicon.toml``, read once through :func:`pm_agent.data.table`:
a name list is something to extend, not to read as code. The regular expressions here stay code,
because each is built from fragments and tuned with look-arounds to one construction.
"""

from __future__ import annotations

import re

from pm_agent.analysis.vocabulary import SERVER_ERROR_STATUS
from pm_agent.data import table

_LISTS = table("blameless_lexicon")
# Given names, so that "Alice" is a person and "Kafka" a system (see the file for the names left out).
FIRST_NAMES = frozenset(_LISTS["first_names"])
# Infrastructure and product names: facts to preserve, never people.
SYSTEM_NAMES = frozenset(_LISTS["system_names"]) | frozenset(_LISTS["multi_word_system_names"])
# People named by their job, as regex fragments ("engineers?").
ROLE_NOUNS: tuple[str, ...] = _LISTS["role_nouns"]
# Acronyms that name a role, not a system: never facts (dropping "the DBA" loses no fact).
ROLE_ACRONYMS = frozenset(_LISTS["role_acronyms"])
JUDGEMENT_ADJECTIVES: tuple[str, ...] = _LISTS["judgement_adjectives"]
JUDGEMENT_ADVERBS: tuple[str, ...] = _LISTS["judgement_adverbs"]
JUDGEMENT_NOUNS: tuple[str, ...] = _LISTS["judgement_nouns"]
# Technical terms built from a judgement word: "lazy loading", "sloppy quorum", "dumb pipe".
TECHNICAL_COLLOCATIONS = re.compile(
    r"(?i)\b(?:lazy[- ](?:load\w*|eval\w*|init\w*|instantiat\w*|import\w*|iterat\w*|delet\w*|expir\w*|writes?"
    r"|propagation|fetch\w*|compil\w*|binding)|sloppy[- ]quorums?|dumb[- ](?:pipes?|terminals?|switch\w*))"
)

# Things that signal a problem: "ignored the alert" becomes "the alert did not lead to a response".
SIGNAL_NOUNS = frozenset(_LISTS["signal_nouns"])

# Words that tell the sentence is about something going wrong (for "which led to ..." and "because"): harm a
# person's action could be tied to, which is not the event vocabulary's symptom list (that one tags what an event
# saw, "pending" or "stale" included). A server error status is the vocabulary's: never part of "65,536" or "500 MB".
HARM_WORDS = re.compile(
    r"(?i)\b(?:outages?|incidents?|downtime|failures?|failed|failing|errors?|\d+xx|"
    rf"{SERVER_ERROR_STATUS}|timeouts?|timed out"
    r"|degraded|degradation|loss|lost|corrupt\w*|crash\w*|unavailable|down|broke|broken|spiked?|spiking"
    r"|backlog|lag|stall\w*|dropped|exhausted|filled|full|leak\w*|duplicate\w*|overload\w*|deleted|wiped"
    r"|out\s+of\s+(?:memory|disk|space|connections)|OOM\w*)\b"
)

# Verbs that make a person's change the cause of harm.
HARM_VERBS = (
    r"caused|triggered|broke|took\s+down|brought\s+down|knocked\s+(?:out|over)|led\s+to|resulted\s+in"
    r"|(?:re)?introduced|crashed|corrupted|wiped|erased|locked|flooded|overloaded|exhausted|saturated|leaked|exposed"
)


# Any capitalised word (and an optional surname): the rules check it with is_person() after a match,
# which keeps the patterns small and the list of names in one place.
NAME = r"(?:@[\w.-]+|\b[^\W\d_a-z][^\W\d_A-Z]+(?:\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?=['’\s,]))?)\b"
PRONOUN = r"\b(?:[Hh]e|[Ss]he|I|[Ww]e|[Yy]ou)\b"
SOMEONE = r"\b(?:[Ss]omeone|[Ss]omebody)\b"
NOBODY = r"\b(?:[Nn]obody|[Nn]o\s+one|[Aa]nyone|[Aa]nybody|[Ee]veryone)\b"
_DETERMINER = r"(?:[Tt]he|[Oo]ur|[Tt]heir|[Tt]hat|[Tt]his|[Yy]our|[Aa]n?)"
_MODIFIER = r"(?!(?:the|a|an|that|which|who|and|or|was|is|were|had|has)\b)[\w`’'#.-]+"
ROLE = rf"\b{_DETERMINER}\s+(?:{_MODIFIER}\s+){{0,3}}?(?:{'|'.join(ROLE_NOUNS)})\b(?:\s+on\s+(?:duty|call|shift)\b)?"
ROLE_RE = re.compile(ROLE)
# Who a blame construction can be aimed at. Generic "any engineer" is hindsight, not an agent.
AGENT = rf"(?:{ROLE}|{PRONOUN}|{SOMEONE}|{NAME})"
POSSESSOR = rf"(?:(?:{ROLE}|{NAME})['’]s?|\b(?:[Hh]is|[Hh]er|[Mm]y)\b)"
_PERSON_WORDS = re.compile(
    rf"(?:{PRONOUN}|{SOMEONE}|{NOBODY}|\b(?:[Hh]is|[Hh]er|[Mm]y)\b|@[\w.-]+|[Ww]hoever\b.*)", re.S
)


def is_person(agent: str) -> bool:
    """True for "Alice", "Alice Chen", "@dana", "she", "the on-call engineer"; false for "Kafka".

    Names come from :data:`FIRST_NAMES`; a capitalised word that is not a known name is taken to
    be a system, because calling a system a person would turn a neutral sentence into blame.
    """
    agent = re.sub(r"['’]s?$", "", agent.strip())
    if ROLE_RE.fullmatch(agent) or _PERSON_WORDS.fullmatch(agent):
        return True
    return agent.split()[0] in FIRST_NAMES if agent else False


# A relative clause or an appositive between the agent and the verb ("the engineer who approved it").
AGENT_TAIL = r"(?:,\s*(?:who|the|a|our)\b[^,;]{1,60},|\s+who\s+[^,;]{1,60}?)?"
ADVERB = r"(?:\s+(?:also|then|still|just|simply|clearly|obviously|again|later|once\s+again|(?!only\b)[a-z]+ly))?"
