"""A list of phrases as one regex alternation, searched fast in long texts.

The rubric's phrase lists are matched by :func:`phrase_pattern`: every phrase an alternative,
longest first, case-insensitive, words joined by ``\\s+``, with ``(?<!\\w)``/``(?!\\w)`` where the
phrase starts or ends with a letter or digit. Its ``finditer`` over a drafted postmortem of
thousands of timeline rows is slow: the regex engine tries every alternative, lookbehind first,
at every position of the text. A match of a phrase starts with the phrase's first word, so
:func:`phrase_scan` tries the pattern only where one of the first words occurs
(:class:`pm_agent.textscan.words.StartWords`), with the same matches in the same order.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pm_agent.textscan.words import StartWords


@lru_cache(maxsize=256)
def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One alternative per phrase, longest first (ties keep list order), case-insensitive."""
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        body = r"\s+".join(re.escape(word) for word in phrase.split()) or re.escape(phrase)
        left = r"(?<!\w)" if phrase[:1].isalnum() else ""
        right = r"(?!\w)" if phrase[-1:].isalnum() else ""
        parts.append(f"{left}{body}{right}")
    return re.compile("|".join(parts) or r"(?!x)x", re.I)


@lru_cache(maxsize=256)
def phrase_scan(phrases: tuple[str, ...]) -> StartWords:
    """``phrase_pattern(phrases)``, tried only where a phrase's first word occurs (in long texts)."""
    firsts = [phrase.split()[0].lower() if phrase.split() else "" for phrase in phrases]
    return StartWords(phrase_pattern(phrases), firsts)
