"""Words every match of a pattern holds, read off its source, so a text without them is never searched.

:func:`pm_agent.textscan.words.leading_words` reads the words a pattern *opens* with, and gives up on
any other opening. Many patterns open otherwise (a lookbehind, a digit class, an optional word) yet
hold plain words further on: ``(?<=\\w )fail(?:s|ed)?\\b`` holds ``fail``, ``\\d[\\d,.]*\\s*(?:ms|s)
(?:behind|late)`` holds one of ``ms behind``, ``s late``, ... . :func:`required_word_sets` reads them
with a small parser of the regex syntax the project writes (groups, alternatives, classes, escapes,
lookarounds, quantifiers, inline flags), after the classic "prefilter" construction: each part of a
pattern is known either *exactly* (the few strings it can match) or by sets of strings such that
each of its matches holds one string of every set. What it cannot read (``\\w``, ``.``, a large
class, a cased non-ASCII letter) it takes to match anything, so every set it gives is held by every
match; a syntax it does not know (a back reference, ``\\x41``, verbose mode) gives no sets at all, and
the pattern then simply runs. No private module of the standard library is used.

The strings are lower-case ASCII, or punctuation and symbols (``’``, ``€``) that nothing else matches,
to be looked for in the text folded by :func:`pm_agent.textscan.words.fold`, where a case-insensitive
match of an ASCII letter becomes that letter.

:class:`WordFilteredPatterns` applies a family of patterns to many short texts: one scan of a text
for all the family's words says which patterns can match it, and only those run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Generic, TypeVar

from pm_agent.textscan.words import WordIndex, fold

K = TypeVar("K", bound=Hashable)

_MOST_STRINGS = 64  # an exact part with more strings than this is kept only as what its matches hold
_SMALL_CLASS = 8  # a character class of more characters than this (such as [a-z]) counts as any character
_QUANTIFIER_RE = re.compile(r"\{(\d*)(?:(,)(\d*))?\}")
_FLAGS_RE = re.compile(r"\?([aiLmsux]*)(?:-([imsx]+))?([:)])")
_ESCAPED_CHARS = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
_ZERO_WIDTH_ESCAPES = frozenset("bBAZ")
_CLASS_ESCAPES = frozenset("dDwWsS")


class _Unreadable(ValueError):
    """A part of the syntax this parser does not read: the pattern gets no words."""


@dataclass(frozen=True)
class _Part:
    """What one part of a pattern can match: ``exact`` (every string it matches, when few) or, when that is
    unknown, ``needs``: sets of strings such that each of its matches holds one string of every set."""

    exact: frozenset[str] | None = None
    needs: tuple[frozenset[str], ...] = ()

    def needed(self) -> tuple[frozenset[str], ...]:
        """The sets every match holds a string of (none when a match may hold nothing known)."""
        if self.exact is None:
            return self.needs
        return () if "" in self.exact or not self.exact else (self.exact,)

    def best(self) -> frozenset[str] | None:
        """The most selective of the needed sets."""
        return max(self.needed(), key=_selectivity, default=None)


_ANY = _Part()  # a character or part not read (\w, ., a large class): nothing known, not even its length
_NOTHING = _Part(exact=frozenset({""}))  # zero width: \b, a lookaround, ^, $


def required_word_sets(pattern: re.Pattern[str] | str, most: int = 3) -> list[frozenset[str]]:
    """Up to ``most`` sets of strings, the most selective first, such that every match of ``pattern`` holds, in
    the folded text, a string of each set; empty when the pattern's source does not say."""
    if isinstance(pattern, str):
        pattern = re.compile(pattern)
    if not isinstance(pattern.pattern, str) or pattern.flags & re.VERBOSE:
        return []
    try:
        part, end = _Parser(pattern.pattern).alternatives(0)
    except _Unreadable:
        return []
    if end != len(pattern.pattern):
        return []
    return sorted(set(part.needed()), key=_selectivity, reverse=True)[:most]


def required_words(pattern: re.Pattern[str] | str) -> frozenset[str] | None:
    """The most selective set of strings one of which every match of ``pattern`` holds (in the folded text), or
    None when the pattern's source does not say (then every text may match)."""
    sets = required_word_sets(pattern, most=1)
    return sets[0] if sets else None


def _selectivity(words: frozenset[str]) -> tuple[int, int]:
    """Longer shortest string first, then fewer strings: the set a text is least likely to hold."""
    return min(map(len, words)), -len(words)


class _Parser:
    """A reader of the regex syntax the project's patterns use, from a position to the end of a part."""

    def __init__(self, source: str) -> None:
        self.source = source

    def alternatives(self, index: int) -> tuple[_Part, int]:
        """``a|b|...`` from ``index`` up to an unmatched ``)`` or the end."""
        branches = []
        while True:
            part, index = self.sequence(index)
            branches.append(part)
            if index < len(self.source) and self.source[index] == "|":
                index += 1
                continue
            return _either(branches), index

    def sequence(self, index: int) -> tuple[_Part, int]:
        """The items of one alternative, concatenated."""
        items = []
        while index < len(self.source) and self.source[index] not in "|)":
            item, index = self.atom(index)
            item, index = self.quantified(item, index)
            items.append(item)
        return _concatenated(items), index

    def atom(self, index: int) -> tuple[_Part, int]:
        char = self.source[index]
        if char == "(":
            return self.group(index + 1)
        if char == "[":
            return self.char_class(index + 1)
        if char == "\\":
            return self.escape(index + 1)
        if char in "^$":
            return _NOTHING, index + 1
        if char == ".":
            return _ANY, index + 1
        if char in "*+?" or (char == "{" and _QUANTIFIER_RE.match(self.source, index)):
            raise _Unreadable(f"a quantifier with nothing before it at {index}")
        return _char(char), index + 1

    def group(self, index: int) -> tuple[_Part, int]:
        """After ``(``: a group, a lookaround (zero width), a comment or a group with its own flags."""
        source = self.source
        if source.startswith("?:", index):
            return self.closed(index + 2)
        if source.startswith("?P<", index):
            return self.closed(source.index(">", index) + 1)
        if source.startswith(("?=", "?!"), index):
            return self.zero_width(index + 2)
        if source.startswith(("?<=", "?<!"), index):
            return self.zero_width(index + 3)
        if source.startswith("?#", index):
            return _NOTHING, source.index(")", index) + 1
        if source.startswith("?", index):
            flags = _FLAGS_RE.match(source, index)
            if flags is None or "x" in flags[1]:  # verbose: its spaces and # are not what they say
                raise _Unreadable(f"a group syntax not read at {index}")
            return (_NOTHING, flags.end()) if flags[3] == ")" else self.closed(flags.end())
        return self.closed(index)

    def closed(self, index: int) -> tuple[_Part, int]:
        part, index = self.alternatives(index)
        if index >= len(self.source) or self.source[index] != ")":
            raise _Unreadable("an unclosed group")
        return part, index + 1

    def zero_width(self, index: int) -> tuple[_Part, int]:
        _, index = self.closed(index)
        return _NOTHING, index

    def char_class(self, index: int) -> tuple[_Part, int]:
        """After ``[``: a set of characters, exact when small and plain, else any character."""
        source = self.source
        readable = not source.startswith("^", index)
        index += 0 if readable else 1
        chars: set[str] = set()
        first = True
        while index < len(source) and (source[index] != "]" or first):
            first = False
            low, index = self.class_char(index)
            if source.startswith("-", index) and index + 1 < len(source) and source[index + 1] != "]":
                high, index = self.class_char(index + 1)
                if low is None or high is None or ord(high) - ord(low) >= _SMALL_CLASS:
                    readable = False
                    continue
                chars.update(chr(code) for code in range(ord(low), ord(high) + 1))
            elif low is None:
                readable = False
            else:
                chars.add(low)
        if index >= len(source):
            raise _Unreadable("an unclosed character class")
        parts = [_char(c) for c in chars]
        if not readable or len(chars) > _SMALL_CLASS or any(p.exact is None for p in parts):
            return _ANY, index + 1
        return _Part(exact=frozenset().union(*(p.exact for p in parts))), index + 1  # type: ignore[misc]

    def class_char(self, index: int) -> tuple[str | None, int]:
        """One character of a class, and the index after it; None for an escape that is not one character."""
        char = self.source[index]
        if char != "\\":
            return char, index + 1
        escaped = self.source[index + 1]
        if escaped in _ESCAPED_CHARS:
            return _ESCAPED_CHARS[escaped], index + 2
        if escaped.isalnum():  # \d, \w, \b (a backspace here), \x41 (its digits would be read as characters)
            if escaped not in _CLASS_ESCAPES:
                raise _Unreadable(f"an escape not read at {index}")
            return None, index + 2
        return escaped, index + 2

    def escape(self, index: int) -> tuple[_Part, int]:
        """After ``\\``: a zero-width assertion, a class of characters, or a character."""
        char = self.source[index]
        if char in _ZERO_WIDTH_ESCAPES:
            return _NOTHING, index + 1
        if char in _ESCAPED_CHARS:
            return _char(_ESCAPED_CHARS[char]), index + 1
        if char in _CLASS_ESCAPES:
            return _ANY, index + 1
        if char.isalnum():  # a back reference, \x41, \u00e9, \N{...}: not read
            raise _Unreadable(f"an escape not read at {index}")
        return _char(char), index + 1

    def quantified(self, item: _Part, index: int) -> tuple[_Part, int]:
        """``item`` under the quantifier at ``index``, if there is one."""
        source = self.source
        if index >= len(source):
            return item, index
        char = source[index]
        if char in "?*+":
            least, most, index = (1 if char == "+" else 0), (1 if char == "?" else None), index + 1
        elif char == "{" and (braces := _QUANTIFIER_RE.match(source, index)):
            least = int(braces[1] or 0)
            most = int(braces[3]) if braces[3] else None if braces[2] else least
            index = braces.end()
        else:
            return item, index
        if index < len(source) and source[index] in "?+":  # lazy or possessive: the same strings
            index += 1
        if least == 0 and most == 1 and item.exact is not None:
            return _Part(exact=item.exact | {""}), index
        if least == 0:
            return _ANY, index
        if least == most == 1:
            return item, index
        return _Part(needs=item.needed()), index


def _char(char: str) -> _Part:
    if char.isascii():
        return _Part(exact=frozenset({char.lower()}))
    return _Part(exact=frozenset({char})) if _caseless(char) else _ANY


def _caseless(char: str) -> bool:
    """Punctuation or a symbol ("’", "€"): it has no case, so only itself matches it, even ignoring case."""
    return unicodedata.category(char)[0] in "PS" and char.lower() == char == char.upper()


def _either(branches: list[_Part]) -> _Part:
    if len(branches) == 1:
        return branches[0]
    if all(b.exact is not None for b in branches):
        union = frozenset().union(*(b.exact for b in branches))  # type: ignore[misc]
        if len(union) <= _MOST_STRINGS:
            return _Part(exact=union)
    best = [b.best() for b in branches]
    if any(words is None for words in best):
        return _ANY
    return _Part(needs=(frozenset().union(*best),))  # type: ignore[arg-type]


def _concatenated(items: list[_Part]) -> _Part:
    """Runs of exact items joined into their strings (while few); a match holds a string of each run's and of
    each other item's sets."""
    needs: list[frozenset[str]] = []
    run: frozenset[str] = frozenset({""})
    whole_exact = True
    for item in items:
        if item.exact is not None and len(run) * len(item.exact) <= _MOST_STRINGS:
            run = frozenset(a + b for a, b in product(run, item.exact))
            continue
        whole_exact = False
        needs += _Part(exact=run).needed()
        run = item.exact if item.exact is not None else frozenset({""})
        needs += () if item.exact is not None else item.needed()
    if whole_exact:
        return _Part(exact=run)
    return _Part(needs=(*needs, *_Part(exact=run).needed()))


class WordFilteredPatterns(Generic[K]):
    """A family of compiled patterns searched in many short texts; each runs only on a text holding one of its
    :func:`required_words` (a pattern without such words always runs). Every answer is the pattern's own."""

    def __init__(self, patterns: Mapping[K, re.Pattern[str]]) -> None:
        self.patterns = dict(patterns)
        self.words = {key: required_words(pattern) for key, pattern in self.patterns.items()}
        self._index = WordIndex({key: words for key, words in self.words.items() if words is not None})

    def candidates(self, text: str) -> list[K]:
        """The keys whose pattern may match ``text``, in the family's order."""
        present = self._index.keys_in(fold(text))
        return [key for key, words in self.words.items() if words is None or key in present]

    def first_matches(self, text: str) -> dict[K, re.Match[str]]:
        """``{key: pattern.search(text)}`` for every pattern that matches ``text``, in the family's order."""
        return {key: m for key in self.candidates(text) if (m := self.patterns[key].search(text))}
