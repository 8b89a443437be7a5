"""The one fast path for text matching: declared words, found by one scan, decide where a pattern runs.

Python's regex engine tries a pattern at every position of a text unless the pattern opens with
plain case-sensitive characters. The engines' patterns seldom do: they open with ``\\b`` or a
lookbehind and ignore case, so a rubric phrase list tried over a drafted postmortem of thousands of
timeline rows, or fifty blame rules tried on every sentence, spend their time failing. A pattern
used that way comes with the words every match must hold, written beside it where it is defined
(the blame rules' trigger words) or taken from the data it is built from (the first word of each
rubric phrase). :class:`WordIndex` finds many such words with one scan of a text, and says which
patterns they belong to and where they start; a pattern then runs only on a text, or at a
position, where its words are, and otherwise answers as it always would. Nothing is read off a
pattern's syntax: the words are declared, and the tests check every pattern against texts without
its words.

Words are looked for in the text folded by :func:`fold`, which makes case-insensitive matching
exact for ASCII letters: ``re.IGNORECASE`` accepts, besides the two cases, U+0130 (``İ``) and
U+0131 (``ı``) for ``i``, U+017F (``ſ``) for ``s`` and U+212A (the Kelvin sign) for ``k``, and
:func:`fold` maps each of those to its ASCII letter (tests/test_prefilter.py checks every code point).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)

# Characters re.IGNORECASE matches to an ASCII letter that str.lower() does not turn into it.
_FOLD_BEFORE_LOWER = (("\u0130", "i"),)  # "İ".lower() is two characters
_FOLD_AFTER_LOWER = (("\u0131", "i"), ("\u017f", "s"))
_LONG = 4000  # shorter texts are searched by the pattern itself: quick enough, nothing to set up


def fold(text: str) -> str:
    """``text`` lowercased so that case-insensitive matches of ASCII letters become exact ones."""
    if text.isascii():  # none of the characters below: lowercasing is all
        return text.lower()
    for old, new in _FOLD_BEFORE_LOWER:
        text = text.replace(old, new)
    text = text.lower()
    for old, new in _FOLD_AFTER_LOWER:
        text = text.replace(old, new)
    return text


@lru_cache(maxsize=8)
def aligned_fold(text: str) -> str | None:
    """``fold(text)`` when it lines up with ``text`` character for character (almost always), else None.

    Cached: a long document is searched for many phrase lists in a row.
    """
    folded = fold(text)
    return folded if len(folded) == len(text) else None


def literal_pattern(literals: Iterable[str]) -> str:
    """A pattern matching any of ``literals``, factored by shared prefixes so a mismatch fails fast.

    At a position where several of them occur it matches the longest (the others are its prefixes).
    """
    trie: dict[str, Any] = {}
    for literal in literals:
        node = trie
        for char in literal:
            node = node.setdefault(char, {})
        node[""] = {}
    return _render(trie)


def _render(node: dict[str, Any]) -> str:
    branches = [re.escape(char) + _render(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and "" not in node else "(?:" + "|".join(branches) + ")"
    return body + "?" if "" in node else body


class WordIndex(Generic[K]):
    """Where the declared words of many keys (patterns, rules) occur in a text, found by one scan.

    ``words_of`` gives each key its words (non-empty literal strings, matched exactly: pass folded
    words and look in folded text). A key *occurs* at a position where one of its words starts.
    """

    def __init__(self, words_of: Mapping[K, Iterable[str]]) -> None:
        owners: dict[str, set[K]] = {}
        for key, words in words_of.items():
            for word in words:
                if not word:
                    raise ValueError(f"an empty word for {key!r}: it would be found everywhere")
                owners.setdefault(word, set()).add(key)
        # The finder gives the longest word at a position; the words that are its prefixes start there too.
        self._keys_at = {
            word: frozenset(key for other, keys in owners.items() if word.startswith(other) for key in keys)
            for word in owners
        }
        # Plain literals first: the regex engine skips quickly to where one can start.
        self._finder = re.compile(literal_pattern(owners)) if owners else None

    def keys_in(self, text: str) -> frozenset[K]:
        """The keys one of whose words occurs in ``text``."""
        found: set[K] = set()
        for _position, keys in self.occurrences(text):
            found |= keys
        return frozenset(found)

    def occurrences(self, text: str, position: int = 0) -> Iterator[tuple[int, frozenset[K]]]:
        """Each position of ``text`` from ``position`` on where a word starts, left to right, with its keys."""
        if self._finder is None:
            return
        while (match := self._finder.search(text, position)) is not None:
            yield match.start(), self._keys_at[match.group()]
            position = match.start() + 1


class StartWords:
    """A compiled pattern whose every match starts with one of ``words``, searched only where one does.

    ``words`` are lower-case ASCII; a match starts, case-insensitively (or exactly), with one of
    them. In a long text the words are found in the folded text and the pattern is tried only
    there, answering as its own scan would have: no other position could start a match, and where
    a word starts, ``match`` decides as the scan would. Matches are never empty (each holds a
    word), so the next is looked for from the end of the last, as ``finditer`` does. Short texts,
    words that are not ASCII, and texts whose folded copy has another length go to the pattern.
    """

    def __init__(self, pattern: re.Pattern[str], words: Iterable[str]) -> None:
        self.pattern = pattern
        words = set(words)
        self._index = WordIndex({0: words}) if words and all(w and w.isascii() for w in words) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches of ``pattern.finditer(text)``, left to right."""
        folded = aligned_fold(text) if self._index is not None and len(text) > _LONG else None
        if folded is None:
            yield from self.pattern.finditer(text)
            return
        end = 0
        for position, _keys in self._index.occurrences(folded):  # type: ignore[union-attr]
            if position < end:
                continue
            match = self.pattern.match(text, position)
            if match is not None:
                yield match
                end = match.end()

    def search(self, text: str) -> re.Match[str] | None:
        """``pattern.search(text)``."""
        return next(self.finditer(text), None)
