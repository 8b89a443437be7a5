"""The one fast path for text matching: words every match holds, found by one scan, decide where a pattern runs.

Python's regex engine tries a pattern at every position of a text unless the pattern opens with
plain case-sensitive characters. The engines' patterns seldom do: they open with ``\\b`` or a
lookbehind and ignore case, so the 86 cause rules over an incident, a rubric phrase list over a
drafted postmortem of thousands of rows, or fifty blame rules on every sentence spend their time
failing. Each such pattern comes with words every match holds: declared where the pattern is (the
blame rules' trigger words, the impact figures' needed words), taken from the data it is built from
(the first word of each rubric phrase, the rubric's metric terms), or read off the list of words the
pattern opens with (:func:`leading_words`: plain characters only; any other opening gives no words
and the pattern simply runs). The words are found in the folded text by one literal scan
(:class:`WordIndex` for many keys at once, :class:`StartWords` for one pattern, :class:`WordGroup`
for patterns asked in turn about the same texts), and a pattern runs only on a text, or in a long
text only at a position, where its words are. Every answer is the pattern's own; the tests compare
each fast path with its plain pattern on the fixtures and the shared real incidents.

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


def aligned_fold(text: str) -> str | None:
    """``fold(text)`` when it lines up with ``text`` character for character (almost always), else None.

    A long text's is cached: a long document is searched for many patterns in a row.
    """
    if len(text) > _LONG:
        return _aligned_fold_long(text)
    folded = fold(text)
    return folded if len(folded) == len(text) else None


@lru_cache(maxsize=8)
def _aligned_fold_long(text: str) -> str | None:
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
        # The longest word at every position, by one call: a lookahead matches nothing, so findall tries each.
        self._at_every_position = re.compile(f"(?=({literal_pattern(owners)}))") if owners else None

    def keys_in(self, text: str) -> frozenset[K]:
        """The keys one of whose words occurs in ``text``."""
        if self._at_every_position is None:
            return frozenset()
        found: set[K] = set()
        for word in set(self._at_every_position.findall(text)):
            found |= self._keys_at[word]
        return frozenset(found)

    def occurrences(self, text: str, position: int = 0) -> Iterator[tuple[int, frozenset[K]]]:
        """Each position of ``text`` from ``position`` on where a word starts, left to right, with its keys."""
        if self._finder is None:
            return
        while (match := self._finder.search(text, position)) is not None:
            yield match.start(), self._keys_at[match.group()]
            position = match.start() + 1


class WordGroup:
    """Patterns asked in turn about the same short texts: one scan of a text says which of them can match.

    Each member joins with its words; :meth:`may_hold` answers for every member from one scan of the
    folded text (cached for the last few texts), instead of one scan per member.
    """

    def __init__(self) -> None:
        self._words: dict[int, frozenset[str]] = {}
        self._index: WordIndex[int] | None = None
        self._present = lru_cache(maxsize=4)(self._scan)

    def join(self, words: Iterable[str]) -> int:
        """Add a member with these words; its key for :meth:`may_hold`."""
        key = len(self._words)
        self._words[key] = frozenset(words)
        self._index = None
        self._present.cache_clear()
        return key

    def may_hold(self, key: int, text: str) -> bool:
        """False when ``text`` holds none of member ``key``'s words."""
        return key in self._present(text)

    def _scan(self, text: str) -> frozenset[int]:
        if self._index is None:
            self._index = WordIndex(self._words)
        return self._index.keys_in(fold(text))


class StartWords:
    """A compiled pattern whose every match starts with one of ``words``, run only where one does.

    ``words`` are lower-case ASCII strings; every match starts, case-insensitively, with one of
    them. They are looked for in the folded text (one quick literal scan): a text without them is
    not searched at all, and in a long text the pattern is tried only where one starts, answering
    as its own scan would have: no other position could start a match, and where a word starts,
    ``match`` decides as the scan would. Matches are never empty (each holds a word), so the next
    is looked for from the end of the last, as ``finditer`` does. Without usable words (none, or
    one not ASCII), or for a text whose folded copy has another length, the pattern runs alone.
    A pattern of a :class:`WordGroup` asks the group whether a short text holds its words.
    """

    def __init__(self, pattern: re.Pattern[str], words: Iterable[str] | None, group: WordGroup | None = None) -> None:
        self.pattern = pattern
        words = set(words or ())
        usable = bool(words) and all(w and w.isascii() for w in words)
        self._finder = re.compile(literal_pattern(words)) if usable else None  # plain literals: a quick scan
        self._group = group if usable else None
        self._member = group.join(words) if group is not None and usable else -1

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The matches of ``pattern.finditer(text)``, left to right."""
        if self._group is not None and len(text) <= _LONG:
            return self.pattern.finditer(text) if self._group.may_hold(self._member, text) else iter(())
        folded = aligned_fold(text) if self._finder is not None else None
        if folded is None:
            return self.pattern.finditer(text)
        first = self._finder.search(folded)  # type: ignore[union-attr]
        if first is None:
            return iter(())
        if len(text) <= _LONG:  # a short text with a word in it: the pattern scans it as quickly
            return self.pattern.finditer(text, first.start())
        return self._tried_at_words(text, folded, first.start())

    def _tried_at_words(self, text: str, folded: str, position: int) -> Iterator[re.Match[str]]:
        """``finditer`` trying the pattern only where a word starts, from ``position`` (where one does) on."""
        while True:
            match = self.pattern.match(text, position)
            if match is not None:
                yield match
                position = match.end()
            else:
                position += 1
            word = self._finder.search(folded, position)  # type: ignore[union-attr]
            if word is None:
                return
            position = word.start()

    def search(self, text: str) -> re.Match[str] | None:
        """``pattern.search(text)``."""
        return next(self.finditer(text), None)

    def findall(self, text: str) -> list[Any]:
        """``pattern.findall(text)``: each match's text, its one group, or the tuple of its groups."""
        groups = self.pattern.groups
        found = self.finditer(text)
        if self._finder is None or len(text) <= _LONG:  # the pattern's own findall, when it runs at all
            first = next(found, None)
            return [] if first is None else self.pattern.findall(text, first.start())
        if groups == 0:
            return [m.group() for m in found]
        return [m.group(1) or "" for m in found] if groups == 1 else [m.groups("") for m in found]


_OPENING_GROUP = re.compile(r"\((?:\?:|\?P<\w+>)?")
_QUANTIFIER = "?*{"
_LITERAL = re.compile(r"(?:[\w ,'/%-]|\\[^\w\s])+")


def leading_words(source: str) -> frozenset[str] | None:
    """The lower-case words every match of the pattern ``source`` starts with, when it opens with a
    list of words, as most keyword patterns do: ``\\b(deploy\\w*|roll(ed)?[- ]?out)\\b`` starts with
    ``deploy`` or ``roll``, ``\\bconfig(uration)?s?\\b|\\bconfigur(ed|ing)\\b`` with ``config``. Any
    other opening (a class, an escape such as ``\\d``, an optional first word, a lookaround) gives None:
    then there is no scan, never a wrong one. Only what is certain is read: the plain characters up
    to the first special one, and dropping a character a quantifier makes optional.
    """
    words, end = _alternatives(source, 0)
    return words if words is not None and end == len(source) else None


def _alternatives(source: str, index: int) -> tuple[frozenset[str] | None, int]:
    """The words of ``a|b|...`` from ``index`` up to the closing parenthesis or the end, and where that is."""
    words: set[str] = set()
    while True:
        found, index = _sequence(source, index)
        if found is None:
            return None, index
        words |= found
        if index < len(source) and source[index] == "|":
            index += 1
            continue
        return frozenset(words), index


def _sequence(source: str, index: int) -> tuple[frozenset[str] | None, int]:
    """The words one alternative starts with, and the index after the alternative."""
    while source.startswith("\\b", index):
        index += 2
    words: frozenset[str] | None = None
    if (group := _OPENING_GROUP.match(source, index)) is not None:
        words, index = _alternatives(source, group.end())
        if index >= len(source) or source[index] != ")":
            return None, index
        index += 1
        if index < len(source) and source[index] in _QUANTIFIER:
            words = None  # the group may be absent
    elif (run := _LITERAL.match(source, index)) is not None:
        text = re.sub(r"\\(.)", r"\1", run.group())
        index = run.end()
        if index < len(source) and source[index] in _QUANTIFIER:
            text = text[:-1]  # its last character may be absent
        words = frozenset({text.lower()}) if text else None
    return words, _skip_to_alternative_end(source, index)


def _skip_to_alternative_end(source: str, index: int) -> int:
    """The index of the ``|`` or ``)`` that ends the alternative running at ``index`` (or the end)."""
    depth = 0
    while index < len(source):
        char = source[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index = _class_end(source, index)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return index
            depth -= 1
        elif char == "|" and depth == 0:
            return index
        index += 1
    return index


def _class_end(source: str, index: int) -> int:
    """The index after the character class opening at ``index``."""
    index += 1
    if index < len(source) and source[index] == "^":
        index += 1
    if index < len(source) and source[index] == "]":
        index += 1
    while index < len(source) and source[index] != "]":
        index += 2 if source[index] == "\\" else 1
    return index + 1


def compile_scanned(source: str, flags: int = 0, group: WordGroup | None = None) -> StartWords:
    """``re.compile(source, flags)`` behind the word scan, its words those its opening list of words
    starts every match with (:func:`leading_words`; a pattern without such a list simply runs)."""
    pattern = re.compile(source, flags)
    return StartWords(pattern, None if flags & re.VERBOSE else leading_words(source), group)
