"""Just enough English grammar to turn "Bob failed to renew the certificate" into
"The certificate was not renewed": verb forms, the object of a verb, capitals and articles.

Deliberately small: an irregular-verb table, regular spelling rules, and a word list for the
cases where the rules guess wrong. Unknown verbs still come out readable, if not always perfect.
The tables and word lists are data (``pm_agent/data/english.toml``, read once); the rules are here.
"""

from __future__ import annotations

import re

from pm_agent.analysis.casing import sentence_case
from pm_agent.data import table

_ENGLISH = table("english")  # the word lists below are data: pm_agent/data/english.toml
# base, past, past participle
IRREGULAR = [tuple(entry.split()) for entry in _ENGLISH["irregular_verbs"]]
_PP_TO_BASE = {pp: base for base, _past, pp in IRREGULAR}
_PAST_TO_PP = {past: pp for _base, past, pp in IRREGULAR}
_BASE_TO_PP = {base: pp for base, _past, pp in IRREGULAR}

# Verbs that double their last consonant: stop -> stopped, commit -> committed.
_DOUBLING = frozenset(_ENGLISH["doubling_verbs"])
# Bases whose "-ed" form the spelling rules below would get wrong, or that are common enough to pin.
_KNOWN_BASES = frozenset(_ENGLISH["known_bases"])
PARTICLES = frozenset(_ENGLISH["particles"])
# Words that end the object of a verb: prepositions, conjunctions, clause openers.
_OBJECT_STOPS = frozenset(_ENGLISH["object_stops"])
_CLAUSE_OPENERS = frozenset(_ENGLISH["clause_openers"])
_TOKEN = re.compile(r"`[^`]*`|\S+")
# What may come before a sentence's first word: list markers, headings, and a timeline row's time
# ("- 14:02 Bob pushed ...", "[2024-03-01 14:02 UTC] - Bob pushed ...").
LINE_LEAD = (
    r"\s*(?:(?:[-*+>]|\d+[.)]|#{1,6})\s+)*"
    r"(?:\[?(?:\d{4}-\d{2}-\d{2}[T ]?)?\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:UTC|Z|[AaPp][Mm]))?\]?\s*[-–—:|]?\s+)?"
)


def base_to_participle(base: str) -> str:
    """``renew`` -> ``renewed``, ``take`` -> ``taken``; hyphenated verbs inflect their last part."""
    head, sep, last = base.rpartition("-")
    if sep:
        return f"{head}-{base_to_participle(last)}"
    if base in _BASE_TO_PP:
        return _BASE_TO_PP[base]
    if base.endswith("e"):
        return base + "d"
    if re.search(r"[^aeiou]y$", base):
        return base[:-1] + "ied"
    if base in _DOUBLING:
        return base + base[-1] + "ed"
    return base + "ed"


def past_to_participle(past: str) -> str:
    """``took`` -> ``taken``; regular past forms are already participles."""
    return _PAST_TO_PP.get(past, past)


def participle_to_base(pp: str) -> str:
    """``checked`` -> ``check``, ``paged`` -> ``page``, ``taken`` -> ``take`` (best effort for unknown verbs)."""
    head, sep, last = pp.rpartition("-")
    if sep:
        return f"{head}-{participle_to_base(last)}"
    if pp in _PP_TO_BASE:
        return _PP_TO_BASE[pp]
    if pp.endswith("ied"):
        return pp[:-3] + "y"
    if not pp.endswith("ed"):
        return pp
    stem = pp[:-2]
    if stem + "e" in _KNOWN_BASES:
        return stem + "e"
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in _DOUBLING:
        return stem[:-1]
    if stem.endswith("e") or stem in _KNOWN_BASES:
        return stem
    if re.search(
        r"(?:[^aeiou](?:at|ut|iz|yz|ur|ar|ir)|[bpdgtkfc]l|(?<![aeiou])[aeiou][cgkvsz]|[rd]g|ang|[ru]s|as)$", stem
    ):
        return stem + "e"
    return stem


def gerund_to_base(gerund: str) -> str:
    """``rotating`` -> ``rotate``, ``running`` -> ``run``, ``patching`` -> ``patch``, ``adding`` -> ``add``."""
    stem = gerund[:-3] if gerund.endswith("ing") else gerund
    undoubled = stem[:-1]
    if (
        len(stem) > 2
        and stem[-1] == stem[-2]
        and (undoubled in _DOUBLING or re.fullmatch(r"[^aeiou][aeiou][^aeiouwxy]", undoubled))
    ):
        return undoubled
    return participle_to_base(stem + "ed")


def is_participle(word: str) -> bool:
    """True for ``checked``, ``taken``, ``run``; false for adjectives such as ``careful``."""
    return word.endswith("ed") or word in _PP_TO_BASE or word.endswith("en")


_PAST_FORMS = frozenset(past for _base, past, _pp in IRREGULAR)


def is_past_tense(word: str) -> bool:
    """True for ``shipped``, ``ran``, ``took``; false for ``unexpected`` and other un-adjectives."""
    if word in _PAST_FORMS:
        return True
    return len(word) > 4 and word.endswith("ed") and not word.startswith("un")


def split_object(rest: str) -> tuple[str, str]:
    """Split a verb's remainder into its direct object and what follows.

    ``"the alert at 14:05"`` -> ``("the alert", " at 14:05")``. The object is empty when the
    remainder opens with a preposition or a clause (``"at 10:12"``, ``"whether it ran"``).
    """
    end = 0
    for count, match in enumerate(_TOKEN.finditer(rest)):
        word = match.group()
        bare = word.rstrip(",;:.!?").lower()
        if count == 0 and bare in _CLAUSE_OPENERS:
            return "", rest
        if bare in _OBJECT_STOPS or count >= 10:
            break
        if word[-1] in ",;:" or (word[-1] in ".!?" and match.end() == len(rest.rstrip())):
            end = match.start() + len(word) - 1
            break
        end = match.end()
    return rest[:end].strip(), rest[end:]


_NOUN_PHRASE_END = re.compile(
    r"[,;:](?=\s|$)|\s[-–—]\s|\s(?:and|but|so|because|when|while|after|before|until|since|which|who|that|causing"
    r"|sending|leading|resulting|taking|bringing)\b"
)


def noun_phrase(rest: str) -> tuple[str, str]:
    """The whole noun phrase a verb's remainder opens with, complements included, and what follows.

    ``" the rollout of v1.4 to eu-west-1, so ..."`` -> ``("the rollout of v1.4 to eu-west-1", ", so ...")``.
    Empty when the remainder opens with a preposition or a clause.
    """
    first = rest.split(maxsplit=1)[0].lower() if rest.strip() else ""
    if not first or first in _OBJECT_STOPS or first in _CLAUSE_OPENERS:
        return "", rest
    end = _NOUN_PHRASE_END.search(rest)
    cut = end.start() if end else len(rest)
    return rest[:cut].strip(), rest[cut:]


def is_plural(noun_phrase: str) -> bool:
    """Guess the number of a noun phrase from its first and last words ("340 orders", "the disks")."""
    words = noun_phrase.split()
    if not words:
        return False
    first, last = words[0].lower(), words[-1]
    if re.fullmatch(r"\d[\d,]*", first) and first != "1":
        return True
    if first in {"all", "both", "many", "several", "these", "those", "two", "three", "some"}:
        return True
    return bool(re.fullmatch(r"[a-z]+[^su]s", last)) and "`" not in last


def be_past(noun_phrase: str) -> str:
    return "were" if is_plural(noun_phrase) else "was"


def capitalise(text: str) -> str:
    """Upper-case the first letter unless the first word is a fact such as ``db-prod-3``, ``kubectl`` or ``iOS``."""
    match = re.match(r"\s*([a-z][a-z]*)(?=[\s,;:.]|$)", text)
    return sentence_case(text) if match else text


def fix_articles(text: str) -> str:
    """Make ``a``/``an`` agree with the next word after words were removed or replaced."""

    def agree(match: re.Match[str]) -> str:
        article, word = match.group(1), match.group(2)
        if re.fullmatch(r"[A-Z][A-Z0-9]+s?", word) and word[1] not in "AEIOU":
            vowel = word[0] in "AEFHILMNORSX"  # spelled out: "an SLA", "a URL"
        else:
            vowel = bool(re.match(r"(?i)[aeio]|u(?!ni|s[aeiou])|hour|honest", word))
        wanted = "an" if vowel else "a"
        return (wanted.capitalize() if article[0].isupper() else wanted) + " " + word

    return re.sub(r"\b([Aa]n?) ([A-Za-z][\w-]*)", agree, text)


def tidy(text: str) -> str:
    """Remove the double spaces and orphan commas that deletions leave behind."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r" +([,;:.!?])", r"\1", text)
    text = re.sub(r",\s*,", ",", text)
    text = re.sub(r"^(\s*),\s*", r"\1", text)
    return fix_articles(text)
