"""Does a rewrite still read as English and still say what happened? Checks on one edit.

:func:`rewrite_problems` compares a rewrite with the text it came from and names what the edit
broke: a dangling "by ." or "the ,", a doubled word, a sentence that now starts in lower case,
a sentence that lost its only verb, brackets or quotes left unbalanced, double spaces and stray
punctuation. Each defect counts only when the rewrite has more of it than the original, so a
chat message typed in lower case is not held against the edit.

:func:`lost_words` names the content words the edit dropped that are neither people nor blame:
"Bob pushed the bad config" may become "the bad config was pushed", never "the config changed".
The engine uses both to decide between rewriting a sentence and flagging it as written; the
eval (``pm_agent.evals.labelled``) uses them to count broken and fact-losing rewrites.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from functools import lru_cache

from pm_agent.analysis.blameless.grammar import IRREGULAR, LINE_LEAD
from pm_agent.analysis.blameless.lexicon import (
    FIRST_NAMES,
    JUDGEMENT_ADJECTIVES,
    JUDGEMENT_ADVERBS,
    JUDGEMENT_NOUNS,
    NAME,
    ROLE_NOUNS,
    ROLE_RE,
    is_person,
)
from pm_agent.data import table
from pm_agent.textscan.words import literal_pattern

_ENGLISH = table("english")
_DANGLERS = frozenset(_ENGLISH["danglers"])
_PUNCT = re.compile(r"[,.;:!?)]")
_DOUBLE_SPACE = re.compile(r"(?<=\S) {2,}(?=\S)")
_SPACE_BEFORE_PUNCT = re.compile(r"(?<=\w) +[,;:.!?](?=\s|$)")
_DOUBLED_PUNCT = re.compile(r"[,;:]\s*[,;:.!?]|(?<!\.)\.\s*\.(?!\.)|^\s*[,;:.]|\(\s*\)")
_SENTENCE_START = re.compile(rf"(?:^|[.!?][\"')\]]*\s+)(?:{LINE_LEAD})(?P<first>[^\W\d_][\w'’-]*)", re.M)
_FACT_LIKE = re.compile(r"[a-z]+[A-Z0-9_.-]")  # iOS, db-prod-3, eu-west-1: facts keep their case
_SEPARATORS = re.compile(r"[,;:](?=[^\W_])")
_PAIRS = (("(", ")"), ("[", "]"), ("{", "}"))
_WORD = re.compile(r"@[\w.-]*\w(?:['’]s)?|[^\W\d_][\w'’-]*")

# Auxiliaries: function words a rewrite may drop (see lost_words) that also make a clause finite.
_AUX = frozenset(_ENGLISH["auxiliaries"])
# Other common verb forms that make a clause finite.
_COMMON_VERB_FORMS = frozenset(_ENGLISH["common_verb_forms"])
# Each irregular verb form ("took", "taken") and its base ("take").
_IRREGULAR_BASE = {form: base for base, *forms in IRREGULAR for form in forms}
_VERB_LIKE = re.compile(
    rf"(?i)\b(?:{literal_pattern(_AUX | _COMMON_VERB_FORMS | _IRREGULAR_BASE.keys())})\b|\b[a-z]+(?:ed|n't)\b"
    r"|\b(?:[a-z]+(?:ches|shes|sses|xes)|[a-z]{2,}[^aeiousy\W]s)\b"
)


def rewrite_problems(original: str, rewritten: str) -> list[str]:
    """What the rewrite broke that the original did not have, one short phrase per defect."""
    if rewritten == original:
        return []
    if original.strip() and not re.search(r"\w", rewritten):
        return ["nothing is left of the sentence"]
    was, now = _edited_windows(original, rewritten)
    problems = [name for name, find in _LOCAL_DEFECTS if (added := len(find(now))) and added > len(find(was))]
    lowercase = _lowercase_starts(rewritten)
    if lowercase and lowercase > _lowercase_starts(original):
        problems.append("sentence starts in lower case")
    if (unbalanced := _unbalanced(rewritten)) and unbalanced > _unbalanced(original):
        problems.append("unbalanced brackets or quotes")
    if not _has_verb(rewritten) and _has_verb(original):
        problems.append("no verb left")
    return problems


def _edited_windows(original: str, rewritten: str, margin: int = 24) -> tuple[str, str]:
    """The changed stretch of each text, with ``margin`` characters of context on both sides:
    local defects outside it are the same in both texts, so only the windows need counting."""
    limit = min(len(original), len(rewritten))
    prefix = next((i for i in range(limit) if original[i] != rewritten[i]), limit)
    suffix = next((i for i in range(limit - prefix) if original[-1 - i] != rewritten[-1 - i]), limit - prefix)
    start = max(0, prefix - margin)
    cut = max(0, suffix - margin)
    return original[start : len(original) - cut], rewritten[start : len(rewritten) - cut]


def _doubled_words(text: str) -> list[str]:
    """ "the the", "was was" (a word read twice in a row)."""
    words = text.lower().split()
    return [a for a, b in itertools.pairwise(words) if a == b and a.isalpha()]


def _dangling(text: str) -> list[str]:
    """Words that cannot end a clause, left before punctuation: "caused by .", "the ,"."""
    found = []
    for m in _PUNCT.finditer(text):
        before = text[: m.start()].rstrip().rsplit(None, 1)
        if before and before[-1].lower() in _DANGLERS:
            found.append(before[-1])
    return found


def _glued(text: str) -> list[str]:
    """A comma, colon or semicolon with a word stuck to both sides: "went wrong:00"."""
    return [
        m.group()
        for m in _SEPARATORS.finditer(text)
        if re.search(r"[^\W\d_]{2}$", text[: m.start()]) or re.match(r"[^\W\d_]{2}", text[m.end() :])
    ]


def _lowercase_starts(text: str) -> int:
    return sum(
        1
        for m in _SENTENCE_START.finditer(text)
        if m["first"][0].islower() and not _FACT_LIKE.match(m["first"]) and not m["first"].startswith("e.g")
    )


def _unbalanced(text: str) -> int:
    off = sum(abs(text.count(a) - text.count(b)) for a, b in _PAIRS)
    return off + text.count('"') % 2 + text.count("`") % 2 + abs(text.count("“") - text.count("”"))


def _has_verb(text: str) -> bool:
    """A crude test that some word could be a finite verb (auxiliary, past form, or present -s)."""
    return _VERB_LIKE.search(text) is not None


_LOCAL_DEFECTS = (
    ("dangling word before punctuation", _dangling),
    ("doubled word", _doubled_words),
    ("double space", _DOUBLE_SPACE.findall),
    ("space before punctuation", _SPACE_BEFORE_PUNCT.findall),
    ("stray punctuation", _DOUBLED_PUNCT.findall),
    ("punctuation glued to a word", _glued),
)


# --- content words ---------------------------------------------------------------------------------

_FUNCTION_WORDS = frozenset(_ENGLISH["function_words"]) | _AUX
# The words a blameless rewrite exists to remove: verdicts, lapses, hindsight, fillers, and the verbs of
# noticing that a counterfactual turns into "nothing in the tooling showed".
_BLAME_WORDS = frozenset(table("blameless_lexicon")["blame_words"])
# Blame idioms whose words are ordinary elsewhere ("dropped the index", "made a change").
_BLAME_PHRASES = re.compile(
    r"(?i)\b(?:drop(?:ped|s|ping)?\s+the\s+ball|(?:fell\s+|was\s+|were\s+)?asleep\s+at\s+the\s+wheel"
    r"|ma(?:de|ke|kes|king)\s+(?:an?\s+)?(?:[\w-]+\s+)?(?:mistake|error|blunder|bad\s+call)s?"
    r"|(?:screw|mess|goof)(?:ed|ing|s)?\s+up|fat[- ]?finger\w*|(?:human|operator|user)\s+error"
    r"|blame\s+(?:\w+\s+){0,6}?(?:lies|rests|falls|goes|is)\s+(?:with|on)|to\s+blame|at\s+fault"
    r"|if\s+only|all\s+\w+\s+had\s+to\s+do\s+was|layer[- ]8\s+(?:problem|issue|error)s?)\b"
)
_JUDGEMENTS = frozenset((*JUDGEMENT_ADJECTIVES, *JUDGEMENT_ADVERBS, *JUDGEMENT_NOUNS))
_ROLE_WORDS = frozenset(
    word for pattern in ROLE_NOUNS for word in re.sub(r"[?()]|s\?", "", pattern).replace("-", " ").lower().split()
) | {"on-call", "oncall", "on", "call", "new", "hire", "junior", "senior", "lead", "ic", "dba", "sre", "qa"}
_NAME_RE = re.compile(NAME)
_POSSESSIVE = re.compile(r"['’]s?$")


def lost_words(original: str, rewritten: str) -> list[str]:
    """Content words of ``original`` that ``rewritten`` no longer has in any form.

    People (names with their surnames, @handles, roles such as "the payments team"), function
    words and the vocabulary of blame itself may go; anything else is part of what happened.
    """
    kept = Counter(map(_stem, _WORD.findall(rewritten)))
    unexplained = [word for word in _missing(original, kept) if not _droppable(word)]
    if unexplained:  # "dropped the ball" may go, "dropped" may not
        unexplained = [word for word in _missing(_BLAME_PHRASES.sub(" ", original), kept) if not _droppable(word)]
    if not unexplained:
        return []
    people = _people_words(original)
    return [word for word in unexplained if _bare(word) not in people]


def _missing(original: str, kept: Counter[str]) -> list[str]:
    """The words of ``original`` whose stems ``kept`` has run out of."""
    left = Counter(kept)
    missing = []
    for word in _WORD.findall(original):
        stem = _stem(word)
        if left[stem] > 0:
            left[stem] -= 1
        else:
            missing.append(word)
    return missing


def _people_words(text: str) -> set[str]:
    """The lower-cased words of every person or role named in ``text``."""
    spans = [m.group() for m in ROLE_RE.finditer(text)]
    spans += [m.group() for m in _NAME_RE.finditer(text) if is_person(m.group())]
    return {word.lower() for span in spans for word in _WORD.findall(span)}


def _bare(word: str) -> str:
    """``word`` lower-cased, without quotes around it or a possessive ending ("Bob's" -> "bob")."""
    return _POSSESSIVE.sub("", word.lower().strip("'’"))


@lru_cache(maxsize=8192)
def _droppable(word: str) -> bool:
    """A word a rewrite may drop whatever the sentence: an @handle, a given name, a function word,
    a word of blame, judgement or role, or an adverb in -ly (people named in the sentence are
    checked separately, by :func:`lost_words`)."""
    lower = _bare(word)
    return (
        word.startswith("@")
        or lower in _FUNCTION_WORDS
        or lower in _BLAME_WORDS
        or lower in _JUDGEMENTS
        or lower in _ROLE_WORDS
        or _stem(lower) in _ROLE_WORDS
        or _POSSESSIVE.sub("", word) in FIRST_NAMES
        or (lower.endswith("ly") and len(lower) > 4)
    )


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    """A crude stem that lets "renewed", "renewing" and "renew", or "took" and "taken", match."""
    lower = _POSSESSIVE.sub("", word.lower())
    lower = _IRREGULAR_BASE.get(lower, lower)
    for suffix in ("ing", "ed", "es", "s"):
        if lower.endswith(suffix) and len(lower) - len(suffix) >= 3:
            lower = lower[: -len(suffix)]
            break
    if len(lower) > 3 and lower[-1] == lower[-2] and lower[-1] not in "aeiousl":
        lower = lower[:-1]
    return lower.rstrip("e")


def stem_words(text: str) -> list[str]:
    """The crude stems of the words of ``text``, in order (for matching facts in any inflection)."""
    return [_stem(word) for word in _WORD.findall(text)]
