"""The content words of a postmortem: what a statement is about, and whether it is about this incident.

The rubric measures substance, not markers. A root cause, an action or a lesson is worth something
when it names the incident's own components and mechanisms: the proper nouns, technical terms and
code identifiers that the rest of the document (title, summary, timeline, impact) also uses. This
module reduces text to such *terms*:

- words are split on punctuation and lightly stemmed ("scheduled", "scheduling" -> "schedul");
- English function words and date words are dropped;
- words every postmortem uses ("incident", "service", "alert", "test", "add") are *generic*: they
  carry a little weight but never make a statement specific;
- code identifiers (``isDisabled``, ``survey-utils.ts``, ``aws-ebs-csi-driver``), acronyms (``ALB``)
  and words with digits (``1.270.0``, ``503``) weigh more, because they name one system.

Everything here is linear in the text: one tokenising pass, set operations on the results. The word
lists are data (``pm_agent/data/terms.toml``, section ``rubric``), read once when this module loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pm_agent.data import table

GENERIC_WEIGHT = 0.25
IDENTIFIER_WEIGHT = 2.0
PROPER_WEIGHT = 2.0  # a capitalised word inside a sentence names something: 'Traefik', 'Terraform'
_SENTENCE_MARKS = frozenset(".!?:;|\n-*#>(\"'`[•–—")

_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:[._/-][A-Za-z0-9]+)*")
_CAMEL_RE = re.compile(r"[a-z][A-Z]")
_CAMEL_PART_RE = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_PART_RE = re.compile(r"[A-Za-z0-9]+")

_WORDS = table("terms")["rubric"]
STOP = frozenset(_WORDS["stop"])  # function words, date words and filler: dropped
GENERIC = frozenset(_WORDS["generic"])  # words every postmortem uses: light, never specific
COMMON_ACRONYMS = frozenset(_WORDS["common_acronyms"])  # initials too common to name one system

_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "edly",
    "ers",
    "ies",
    "ied",
    "ed",
    "es",
    "er",
    "ly",
    "s",
)


@dataclass(frozen=True)
class Terms:
    """The terms of a text, each with its weight (generic terms light, identifiers heavy)."""

    weights: dict[str, float]
    specific: dict[str, float] = field(init=False, repr=False, compare=False)
    """The terms that name something (weight >= 1): the ones that make a statement about one system. Worked out
    with the weights, since nearly every reader asks for them (as a cached property it cost a lock per text)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "specific", {t: w for t, w in self.weights.items() if w >= 1.0})

    def specific_weight(self) -> float:
        return sum(self.specific.values())

    def total_weight(self) -> float:
        return sum(self.weights.values())


def terms(text: str) -> Terms:
    """The content terms of ``text``: stems of non-function words, weighted by how much they name."""
    weights: dict[str, float] = {}
    text = text or ""
    for match in _TOKEN_RE.finditer(text):
        found, capitalised = _token_terms(match[0])
        proper = capitalised and not _opens_sentence(text, match.start())
        for key, weight in found:
            if proper and weight == 1.0:
                weight = PROPER_WEIGHT
            if weight > weights.get(key, 0.0):  # a term keeps its highest weight
                weights[key] = weight
    return Terms(weights)


@lru_cache(maxsize=65536)
def _token_terms(token: str) -> tuple[tuple[tuple[str, float], ...], bool]:
    """The terms of one token with their weights, and whether a capital inside a sentence would make it a name
    ('Traefik', not 'ALB'): that depends on where the token stands, so :func:`terms` decides it. Cached: a
    document, and a long timeline most of all, repeats its tokens many times."""
    found = []
    parts = _PART_RE.findall(token)
    if _is_identifier(token):
        found.append((_identifier_key(token), IDENTIFIER_WEIGHT))
        parts = [piece for part in parts for piece in _CAMEL_PART_RE.findall(part) if len(piece) >= 4]
    for part in parts:
        key, weight = _word(part)
        if key:
            found.append((key, weight))
    return tuple(found), bool(found) and token[0].isupper() and not token.isupper()


def shared_share(part: Terms, vocab: set[str]) -> float:
    """The share of ``part``'s specific weight whose terms ``vocab`` also holds (0 when nothing is specific)."""
    specific = part.specific
    total = sum(specific.values())
    if not total:
        return 0.0
    return sum(w for t, w in specific.items() if t in vocab) / total


def shared_weight(part: Terms, vocab: set[str] | dict[str, float]) -> float:
    """The specific weight of ``part`` that ``vocab`` also holds."""
    return sum(w for t, w in part.specific.items() if t in vocab)


def stem(word: str) -> str:
    """A light, deterministic stem: 'scheduled', 'scheduling', 'schedules' -> 'schedul'."""
    word = word.lower()
    for _ in range(2):
        word = _strip_suffix(word)
    return word


def _strip_suffix(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word[-2] in "sui":
                continue
            if suffix in ("ies", "ied"):
                return word[: -len(suffix)] + "y"
            if suffix == "ly" and len(word) < 6:
                continue
            return word[: -len(suffix)]
    if word.endswith("e") and len(word) >= 4:
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def _word(part: str) -> tuple[str, float]:
    """The stem of one word and how much it names (cached: documents repeat their words many times)."""
    lower = part.lower()
    if part.isdigit() or (part[:-1].isdigit() and lower.endswith("s")):
        code = lower.rstrip("s")
        return (code, 1.0) if len(code) == 3 and code[0] in "45" else ("", 0.0)
    if len(lower) < 3 or lower in STOP:
        return "", 0.0
    if any(c.isdigit() for c in part):
        return lower, IDENTIFIER_WEIGHT
    key = stem(lower)
    if lower in GENERIC or key in _GENERIC_STEMS:
        return key, GENERIC_WEIGHT
    if part.isupper() and len(part) <= 6 and lower not in COMMON_ACRONYMS:
        return key, IDENTIFIER_WEIGHT
    return key, 1.0


def _opens_sentence(text: str, start: int) -> bool:
    """True when the word at ``start`` is the first of a sentence, line, cell or list item."""
    index = start - 1
    while index >= 0 and text[index] in " \t\u00a0":
        index -= 1
    return index < 0 or text[index] in _SENTENCE_MARKS


def _is_identifier(token: str) -> bool:
    """Code-like tokens: camelCase, snake_case, dotted names or paths, versions."""
    if not any(c.isalpha() for c in token):
        return "." in token and token.count(".") >= 2
    if _CAMEL_RE.search(token) or "_" in token:
        return True
    if "." not in token and "/" not in token:
        return False
    named = [p for p in _PART_RE.findall(token) if len(p) >= 2 and p.lower() not in STOP]
    return ("." in token or "/" in token) and len(named) >= 2


def _identifier_key(token: str) -> str:
    return token.lower().strip("./")


_GENERIC_STEMS = frozenset(stem(w) for w in GENERIC)
