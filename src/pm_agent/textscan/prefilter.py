"""Skipping regex searches that cannot match, by a quick look for words every match holds.

The engines run dozens of word patterns (``\\b(deploy\\w*|releas\\w*|...)\\b``) over every event
of an incident, and most event texts contain none of the words. A pattern like that spends its
time trying every alternative at every position. :func:`quick` wraps such a pattern. Read off
its own syntax tree are a few sets of literal strings (the words a match starts with, those some
part of it must contain), and every text the pattern matches holds a string of each set: a text
missing one cannot match, and the pattern is not run. Otherwise it runs as before, so every
result is the pattern's own. One scan of a short text answers every pattern at once (set up
after a warm-up, so that small inputs do not pay for it); in a long text a pattern is tried only
where a match can start.

The literals are looked for in the text folded by :func:`fold`, with a plain case-sensitive
search that the regex engine does quickly. Folding makes case-insensitive matching exact for
ASCII letters: Python's ``re.IGNORECASE`` accepts, besides the two cases, U+0130 (``İ``) and
U+0131 (``ı``) for ``i``, U+017F (``ſ``) for ``s`` and U+212A (the Kelvin sign) for ``k``, and
:func:`fold` maps each of those to its ASCII letter (tests/test_prefilter.py checks every code
point). How the literals are read off a pattern is in :mod:`pm_agent.textscan.regex_literals`; a pattern
without them simply runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property, lru_cache
from typing import Any

from pm_agent.textscan.regex_literals import literal_pattern, needed_literals, start_literals

# Characters re.IGNORECASE matches to an ASCII letter that str.lower() does not turn into it.
_FOLD_BEFORE_LOWER = (("\u0130", "i"),)  # "İ".lower() is two characters
_FOLD_AFTER_LOWER = (("\u0131", "i"), ("\u017f", "s"))
_SHORT = 512  # texts up to this long (event texts) are scanned once for every pattern's literals
_WARM_UP = 3000  # questions about short texts answered by the patterns alone before that scan is set up


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

    Cached: a long document is searched for many patterns and phrase lists in a row.
    """
    folded = fold(text)
    return folded if len(folded) == len(text) else None


class QuickPattern:
    """A compiled pattern that first checks the folded text for literals every match holds.

    ``search``, ``match``, ``fullmatch``, ``findall``, ``finditer`` and ``sub`` answer exactly as the
    pattern does; anything else (``pattern``, ``flags``, ``groupindex``...) is the pattern's. Each
    method first takes the common case (a short text, no positions) in as few steps as it can.
    """

    def __init__(self, pattern: re.Pattern[str], *, shared: bool = True) -> None:
        self.compiled = pattern
        self._mask = 0  # its bits in the shared scan of short texts, given when that is set up
        if shared:  # (a pattern made on the fly for long texts stays out of it)
            _EVERY.append(self)
            _possible_scanned.cache_clear()  # the scan of a short text now answers this pattern too
            _literal_index.cache_clear()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # not the pattern's: keeps cached_property and copying working
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __repr__(self) -> str:
        return f"quick({self.compiled!r})"

    @cached_property
    def _literals(self) -> tuple[frozenset[str], ...]:
        """Sets of literals: every text the pattern matches holds one of each (worked out on first
        use, so that importing stays cheap)."""
        return needed_literals(self.compiled)

    @cached_property
    def _needs(self) -> list[re.Pattern[str]]:
        """Each needed set as one plain pattern."""
        return [re.compile(literal_pattern(literals)) for literals in self._literals]

    @cached_property
    def _starts(self) -> re.Pattern[str] | None:
        """The literals every match starts with, as one plain pattern."""
        literals = start_literals(self.compiled)
        return re.compile(literal_pattern(literals)) if literals else None

    def may_match(self, text: str) -> bool:
        """False only when the pattern cannot match anywhere in ``text``."""
        if type(text) is str and len(text) <= _SHORT:
            return _possible(text) & self._mask == self._mask
        if not isinstance(text, str):
            return True
        folded = aligned_fold(text)
        folded = folded if folded is not None else fold(text)
        return all(needs.search(folded) is not None for needs in self._needs)

    def search(self, text: str, *args: int) -> re.Match[str] | None:
        if type(text) is str and len(text) <= _SHORT and not args:
            return self.compiled.search(text) if _possible(text) & self._mask == self._mask else None
        if self._long(text, args):
            return next(self._matches_long(text), None)
        return self.compiled.search(text, *args) if args or self.may_match(text) else None

    def match(self, text: str, *args: int) -> re.Match[str] | None:
        return self.compiled.match(text, *args) if args or self.may_match(text) else None

    def fullmatch(self, text: str, *args: int) -> re.Match[str] | None:
        return self.compiled.fullmatch(text, *args) if args or self.may_match(text) else None

    def findall(self, text: str, *args: int) -> list[Any]:
        if type(text) is str and len(text) <= _SHORT and not args:
            return self.compiled.findall(text) if _possible(text) & self._mask == self._mask else []
        if self._long(text, args):
            groups = self.compiled.groups
            found = self._matches_long(text)
            if groups == 0:
                return [m.group() for m in found]
            return [m.group(1) or "" for m in found] if groups == 1 else [m.groups("") for m in found]
        return self.compiled.findall(text, *args) if args or self.may_match(text) else []

    def finditer(self, text: str, *args: int) -> Iterator[re.Match[str]]:
        if self._long(text, args):
            return self._matches_long(text)
        return self.compiled.finditer(text, *args) if args or self.may_match(text) else iter(())

    def sub(self, repl: Any, text: str, count: int = 0) -> str:
        return self.compiled.sub(repl, text, count) if self.may_match(text) else text

    def _long(self, text: str, args: tuple[int, ...]) -> bool:
        """True for a long text, searched whole, by a pattern with literals."""
        return not args and isinstance(text, str) and len(text) > _SHORT and self._starts is not None

    def _matches_long(self, text: str) -> Iterator[re.Match[str]]:
        """``finditer`` trying the pattern only where one of its literals starts.

        Every match starts with a literal, so no other position could match; where one does
        start, ``match`` answers as the scan would have there. A match is never empty (it holds a
        literal), so the next one is looked for from its end, as ``finditer`` does.
        """
        folded = aligned_fold(text)
        if folded is None:  # positions would not line up
            yield from self.compiled.finditer(text)
            return
        position = 0
        while (start := self._starts.search(folded, position)) is not None:  # type: ignore[union-attr]
            match = self.compiled.match(text, start.start())
            if match is None:
                position = start.start() + 1
            else:
                yield match
                position = match.end()


_EVERY: list[QuickPattern] = []  # all quick patterns: one scan of a short text answers them all


def _warming_up(text: str) -> int:
    """Every bit (-1: every pattern may match) for the first few thousand questions of a process.

    Working out every pattern's literals takes a moment, worth it only where many texts are
    asked about: until then the patterns simply run. After that ``_possible`` is the cached scan
    itself, which the pattern methods then call directly.
    """
    global _asked, _possible
    _asked += 1
    if _asked >= _WARM_UP:
        _possible = _possible_scanned
    return -1


_asked = 0


@lru_cache(maxsize=1 << 14)
def _possible_scanned(text: str) -> int:
    """The bits of the needed literal sets found in the folded ``text`` (see :func:`_literal_index`).

    One scan answers every pattern, and the answer is cached: the engines ask dozens of patterns
    about each event text, several times over.
    """
    finder, fired = _literal_index()
    found = 0
    if finder is not None:
        for match in finder.finditer(fold(text)):
            found |= fired[match.group(1)]
    return found


@lru_cache(maxsize=1)
def _literal_index() -> tuple[re.Pattern[str] | None, dict[str, int]]:
    """Give each needed literal set of each quick pattern a bit (a pattern's mask: the bits of all
    its sets, which a text must all show); return a finder of the longest literal at each position
    of a text, and for each literal the sets it shows present (those holding it or one of its
    prefixes, which occur there too)."""
    owners: dict[str, int] = {}
    bit = 1
    for pattern in _EVERY:
        mask = 0
        for literals in pattern._literals:
            for literal in literals:
                owners[literal] = owners.get(literal, 0) | bit
            mask |= bit
            bit <<= 1
        pattern._mask = mask
    fired = {}
    for literal in owners:
        bits = 0
        for end in range(1, len(literal) + 1):
            bits |= owners.get(literal[:end], 0)
        fired[literal] = bits
    finder = re.compile(f"(?=({literal_pattern(owners)}))") if owners else None
    return finder, fired


# Bits of the needed literal sets present in a short text: a pattern may match when all the bits
# of its mask are set.
_possible = _warming_up


def quick(pattern: str | re.Pattern[str], flags: int = 0, *, shared: bool = True) -> QuickPattern:
    """``re.compile(pattern, flags)`` with the literal pre-check (see the module docstring).

    ``shared=False`` for a pattern made while drafting, used on long texts: it does not join the
    scan of short texts (which would have to be set up again)."""
    compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags)
    return QuickPattern(compiled, shared=shared)
