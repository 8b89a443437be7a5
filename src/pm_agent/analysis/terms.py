"""Content words and light stems: the vocabulary two texts about one incident share.

Comparing what a draft says with what a team concluded, or whether an action is about the same
component as a cause, comes down to the content words two short texts share. Function words and
filler are dropped, words are reduced to a light stem (``detached`` -> ``detach``,
``configuration`` -> ``configur``), and words every incident uses (``change``, ``service``,
``issue``) weigh less than the ones that name this incident's components and mechanisms
(``terraform``, ``ingress``, ``oom``). Deterministic and dependency-free, so a figure built on it
is the same on every machine. The word lists are data (``pm_agent/data/terms.toml``, section ``matching``;
the rubric's own lists sit beside them), read once when this module loads.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pm_agent.data import table

WORD_RE = re.compile(r"[a-z0-9][a-z0-9_.\-/]*[a-z0-9]|[a-z0-9]")
GENERIC_WEIGHT = 0.35
PREFIX_MIN = 5

_WORDS = table("terms")["matching"]
STOPWORDS = frozenset(_WORDS["stopwords"])
GENERIC = frozenset(_WORDS["generic"])
_SUFFIXES = (
    "ational",
    "ations",
    "ation",
    "ments",
    "ment",
    "ingly",
    "ings",
    "ing",
    "ities",
    "ity",
    "edly",
    "ied",
    "ies",
    "ed",
    "es",
    "ly",
    "er",
    "s",
)


def words(text: str) -> list[str]:
    """The lowercase word tokens of ``text`` (identifiers like ``auth.internal`` or ``max_connections`` stay whole)."""
    return WORD_RE.findall((text or "").lower().replace("’", "'"))


@lru_cache(maxsize=1 << 15)
def stem(word: str) -> str:
    """A light stem: the longest listed suffix removed when at least four letters remain."""
    if any(ch.isdigit() for ch in word) or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return base + "y"
            return base
    return word


def content_stems(text: str) -> list[str]:
    """The stems of ``text``'s content words, in order, without repeats.

    A compound (``grafana-agent``, ``max_connections``) counts whole and by its parts, so it meets
    texts that write it either way.
    """
    out: dict[str, None] = {}
    for token in words(text):
        token = token.strip("._-/")
        parts = [token, *re.split(r"[-_/]", token)] if re.search(r"[a-z][-_/][a-z]", token) else [token]
        for word in parts:
            if len(word) < 2 or word in STOPWORDS or word.isdigit():
                continue
            out.setdefault(stem(word), None)
    return list(out)


def weight(stemmed: str) -> float:
    """How much a shared stem says: words every incident uses weigh less."""
    return GENERIC_WEIGHT if stemmed in GENERIC_STEMS else 1.0


GENERIC_STEMS = frozenset(stem(w) for w in GENERIC)


def same_stem(a: str, b: str) -> bool:
    """Equal stems, or one a prefix of the other when both are long (``config`` / ``configur``)."""
    if a == b:
        return True
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= PREFIX_MIN and long.startswith(short)


def shared_stems(a: list[str], b: list[str]) -> list[str]:
    """The stems of ``a`` that ``b`` also has (prefix-equal counts)."""
    found = []
    bset = set(b)
    for x in a:
        if x in bset or any(same_stem(x, y) for y in b):
            found.append(x)
    return found
