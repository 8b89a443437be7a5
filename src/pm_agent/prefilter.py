"""Skipping regex searches that cannot match, by a quick look for the literal every match starts with.

The engines run dozens of word patterns (``\\b(deploy\\w*|releas\\w*|...)\\b``) over every event
of an incident, and most event texts contain none of the words. A pattern like that spends its
time trying every alternative at every position. :func:`quick` wraps such a pattern: every match
of it starts (after zero-width assertions such as ``\\b``) with one of a few literal strings, read
off the pattern's own syntax tree; when none of them occurs in the text, the pattern cannot
match and is not run. Otherwise the pattern runs as before, so every result is the pattern's own.

The literals are looked for in the text folded by :func:`fold`, with a plain case-sensitive
search that the regex engine does quickly. Folding makes case-insensitive matching exact for
ASCII letters: Python's ``re.IGNORECASE`` accepts, besides the two cases, U+0130 (``İ``) and
U+0131 (``ı``) for ``i``, U+017F (``ſ``) for ``s`` and U+212A (the Kelvin sign) for ``k``, and
:func:`fold` maps each of those to its ASCII letter (tests/test_prefilter.py checks every code
point). Literals are made of ASCII characters and of characters without case (``€``); a pattern
whose matches may start otherwise (``\\S+``, ``[^.]``, a non-ASCII letter) gets no filter and
simply runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cached_property, lru_cache
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

# Characters re.IGNORECASE matches to an ASCII letter that str.lower() does not turn into it.
_FOLD_BEFORE_LOWER = (("\u0130", "i"),)  # "İ".lower() is two characters
_FOLD_AFTER_LOWER = (("\u0131", "i"), ("\u017f", "s"))
_LITERAL_LENGTHS = (12, 6, 3)  # the longest that keeps the literals few: longer ones filter better
_MAX_LITERALS = 64
_MAX_CLASS = 8  # a character class of more characters than this ends the literal
_SHORT = 512  # texts up to this long (event texts) are scanned once for every pattern's literals


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
    """A compiled pattern that first checks the folded text for the literals its matches start with.

    ``search``, ``match``, ``fullmatch``, ``findall``, ``finditer`` and ``sub`` answer exactly as the
    pattern does; anything else (``pattern``, ``flags``, ``groupindex``...) is the pattern's. Each
    method first takes the common case (a short text, no positions) in as few steps as it can.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.compiled = pattern
        self._bit = 1 << len(_EVERY)
        _EVERY.append(self)
        _possible.cache_clear()  # the scan of a short text now answers this pattern too
        _literal_index.cache_clear()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # not the pattern's: keeps cached_property and copying working
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __repr__(self) -> str:
        return f"quick({self.compiled!r})"

    @cached_property
    def _literals(self) -> frozenset[str] | None:
        """Worked out on first use, so that importing stays cheap."""
        return start_literals(self.compiled)

    @cached_property
    def _starts(self) -> re.Pattern[str] | None:
        """The literals as one plain pattern."""
        return re.compile(literal_pattern(self._literals)) if self._literals else None

    def may_match(self, text: str) -> bool:
        """False only when the pattern cannot match anywhere in ``text``."""
        if type(text) is str and len(text) <= _SHORT:
            return bool(_possible(text) & self._bit)
        if not isinstance(text, str) or self._starts is None:
            return True
        folded = aligned_fold(text)
        return self._starts.search(folded if folded is not None else fold(text)) is not None

    def search(self, text: str, *args: int) -> re.Match[str] | None:
        if type(text) is str and len(text) <= _SHORT and not args:
            return self.compiled.search(text) if _possible(text) & self._bit else None
        if self._long(text, args):
            return next(self._matches_long(text), None)
        return self.compiled.search(text, *args) if args or self.may_match(text) else None

    def match(self, text: str, *args: int) -> re.Match[str] | None:
        return self.compiled.match(text, *args) if args or self.may_match(text) else None

    def fullmatch(self, text: str, *args: int) -> re.Match[str] | None:
        return self.compiled.fullmatch(text, *args) if args or self.may_match(text) else None

    def findall(self, text: str, *args: int) -> list[Any]:
        if type(text) is str and len(text) <= _SHORT and not args:
            return self.compiled.findall(text) if _possible(text) & self._bit else []
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


@lru_cache(maxsize=1 << 14)
def _possible(text: str) -> int:
    """One bit per quick pattern that may match ``text``: those without literals, and those with a
    literal in the folded text.

    One scan answers every pattern, and the answer is cached: the engines ask dozens of patterns
    about each event text, several times over.
    """
    finder, fired, always = _literal_index()
    found = always
    if finder is not None:
        for match in finder.finditer(fold(text)):
            found |= fired[match.group(1)]
    return found


@lru_cache(maxsize=1)
def _literal_index() -> tuple[re.Pattern[str] | None, dict[str, int], int]:
    """A finder of the longest literal at each position of a text; for each literal, the patterns it
    shows may match (those owning it or one of its prefixes, which occur there too); and the
    patterns without literals."""
    owners: dict[str, int] = {}
    always = 0
    for pattern in _EVERY:
        if pattern._literals is None:
            always |= pattern._bit
            continue
        for literal in pattern._literals:
            owners[literal] = owners.get(literal, 0) | pattern._bit
    fired = {}
    for literal in owners:
        bits = 0
        for end in range(1, len(literal) + 1):
            bits |= owners.get(literal[:end], 0)
        fired[literal] = bits
    finder = re.compile(f"(?=({literal_pattern(owners)}))") if owners else None
    return finder, fired, always


def quick(pattern: str | re.Pattern[str], flags: int = 0) -> QuickPattern:
    """``re.compile(pattern, flags)`` with the literal pre-check (see the module docstring)."""
    return QuickPattern(pattern if isinstance(pattern, re.Pattern) else re.compile(pattern, flags))


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


def start_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Folded strings, one of which begins every match of ``pattern``; None when there are none.

    Each string is what the pattern's first literal characters must match, cut at twelve
    characters (fewer when that would make too many strings). A pattern that can match without
    starting with a literal gives None.
    """
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        ignore = bool(parsed.state.flags & re.IGNORECASE)
        for length in _LITERAL_LENGTHS:
            found = _starts(list(parsed), ignore, length)
            if found is not None and len(found) <= _MAX_LITERALS:
                return None if "" in found else frozenset(found)
    except Exception:  # noqa: BLE001 - an unexpected syntax tree: no filter, never a wrong one
        return None
    return None


def _starts(items: list[tuple[Any, Any]], ignore: bool, room: int) -> set[str] | None:
    """Strings (up to ``room`` characters) one of which begins every match of the sequence ``items``.

    ``""`` in the result means a match may begin with anything from here on. None means the set
    grew past ``_MAX_LITERALS``.
    """
    if room == 0 or not items:
        return {""}
    (op, av), rest = items[0], items[1:]
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):  # zero-width: the match starts after it
        return _starts(rest, ignore, room)
    if op is sre.LITERAL or op is sre.IN:
        chars = _chars(op, av)
        if not chars:
            return {""}
        return _prefixed({c.lower() for c in chars}, rest, ignore, room)
    if op is sre.BRANCH:
        return _union(_starts(list(branch) + rest, ignore, room) for branch in av[1])
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, body = av
        inner = (ignore or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
        if inner == ignore:
            return _starts(list(body) + rest, ignore, room)
        return _starts(list(body), inner, room)  # its flags end with it: stop at its end
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _high, body = av
        once = _starts(list(body), ignore, room)  # a repeat's continuation may be itself: stop there
        return once if low > 0 else _union([once, _starts(rest, ignore, room)])
    return {""}


def _chars(op: Any, av: Any) -> set[str] | None:
    """The characters a LITERAL or a small, plain character class matches, when each is ASCII or has
    no case; None otherwise."""
    if op is sre.LITERAL:
        chars = {chr(av)}
    else:
        chars = set()
        for member_op, value in av:
            if member_op is sre.LITERAL:
                chars.add(chr(value))
            elif member_op is sre.RANGE and value[1] - value[0] < _MAX_CLASS:
                chars.update(chr(code) for code in range(value[0], value[1] + 1))
            else:
                return None
    if len(chars) > _MAX_CLASS or not all(c.isascii() or _uncased(c) for c in chars):
        return None
    return chars


def _uncased(char: str) -> bool:
    """True for a character with no other case (``€``, ``—``): it matches itself only, and folds to itself."""
    return char.lower() == char == char.upper()


def _prefixed(heads: set[str], rest: list[tuple[Any, Any]], ignore: bool, room: int) -> set[str] | None:
    tails = _starts(rest, ignore, room - 1)
    if tails is None:
        return heads
    return {head + tail for head in heads for tail in tails}


def _union(parts: Any) -> set[str] | None:
    found: set[str] = set()
    for part in parts:
        if part is None:
            return None
        found |= part
        if len(found) > _MAX_LITERALS:
            return None
    return found
