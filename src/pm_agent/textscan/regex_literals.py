"""The literal strings a regular expression's matches must contain, read off its syntax tree.

:func:`start_literals` gives strings one of which begins every match (after zero-width
assertions such as ``\\b``); :func:`needed_literals` gives the rarest few sets of strings such that
every match holds a string of each. :mod:`pm_agent.textscan.prefilter` looks for them before running a
pattern: a text missing them cannot match.

The strings are *folded*: ASCII letters in lower case, and only characters whose case-insensitive
matches all fold to them (ASCII, or characters without case such as ``€``; see
:func:`pm_agent.textscan.prefilter.fold`). Where a pattern can match without such a string (``\\S+``,
``[^.]``, a non-ASCII letter) there is no set, never a wrong one. Strings are cut at twelve
characters, and the work spent on a pattern of many alternatives is capped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

_LITERAL_LENGTHS = (12, 6, 3)  # the longest that keeps the literals few: longer ones filter better
_MAX_LITERALS = 64
_MAX_CLASS = 8  # a character class of more characters than this ends the literal
_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_MAX_SETS = 3  # needed literal sets kept per pattern: a text must hold a string of each
_MAX_DEPTH = 3  # how deep into alternations and groups the needed literals are looked for
_STEPS = 2000  # work allowed for the literals of one part of a pattern: a pattern of many names gives up


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
    parsed = _parse(pattern)
    return _sequence_literals(parsed.data, _ignores_case(parsed)) if parsed is not None else None


def needed_literals(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """Sets of folded strings such that every text ``pattern`` matches holds a string of each set
    (the rarest few sets; none when no part of the pattern needs a literal).

    A match starts with one of the pattern's start literals, and holds a match of each part of
    its top-level sequence: a run of plain characters, one branch of an alternation (so a string
    that branch needs), a group or repeat it must go through. The sets whose shortest string is
    longest come first: ``\\b(?:[Aa]n?\\s+)?(?i:careless|sloppy)\\s+mistake`` needs ``mistake``, and
    ``careless`` or ``sloppy``, but not ``a``.
    """
    parsed = _parse(pattern)
    if parsed is None:
        return ()
    return tuple(_needed(_flattened(parsed.data), _ignores_case(parsed), 0)[:_MAX_SETS])


Item = tuple[Any, Any]  # (opcode, argument) of the parsed pattern
Frame = tuple[list[Item], int, Any]  # a sequence, the position in it, and the frame to go on with after


def _needed(items: list[Item], ignore: bool, depth: int) -> list[frozenset[str]]:
    """The literal sets ``items`` needs, rarest first."""
    candidates = [_sequence_literals(items, ignore), *_plain_runs(items)]
    for op, av in items if depth < _MAX_DEPTH else ():
        if op is sre.BRANCH:
            own = _sequence_literals([(op, av)], ignore)  # a list of words: their starts will do
            branches = [own] if own else [_rarest(_needed(_flattened(b.data), ignore, depth + 1)) for b in av[1]]
            if all(branches) and len(joined := frozenset().union(*branches)) <= _MAX_LITERALS:  # type: ignore[arg-type]
                candidates.append(joined)
        elif op is sre.SUBPATTERN:  # one that changes the flags (the others are flattened)
            candidates += _needed(_flattened(av[3].data), _inner(ignore, av), depth + 1)
        elif op in _REPEATS and av[0] > 0:
            candidates += _needed(_flattened(av[2].data), ignore, depth + 1)
    found = {c for c in candidates if c}
    return sorted(found, key=lambda c: (-min(map(len, c)), len(c), sorted(c)))


def _rarest(sets: list[frozenset[str]]) -> frozenset[str] | None:
    return sets[0] if sets else None


def _plain_runs(items: list[Item]) -> list[frozenset[str]]:
    """The strings each run of plain characters (literals, small classes) in ``items`` matches."""
    runs: list[frozenset[str]] = []
    strings = {""}
    for op, av in [*items, (None, None)]:
        chars = _chars(op, av) if op is sre.LITERAL or op is sre.IN else None
        if chars and len(strings) * len(chars) <= _MAX_LITERALS and len(min(strings, key=len)) < _LITERAL_LENGTHS[0]:
            strings = {s + c for s in strings for c in chars}
            continue
        if strings != {""}:
            runs.append(frozenset(strings))
        strings = set(chars) if chars else {""}  # a full run ends here; this character starts the next
    return runs


def _flattened(items: list[Item]) -> list[Item]:
    """The sequence with each group that keeps the flags replaced by its contents (same matches)."""
    flat: list[Item] = []
    for op, av in items:
        if op is sre.SUBPATTERN and not av[1] and not av[2]:
            flat += _flattened(av[3].data)
        else:
            flat.append((op, av))
    return flat


def _parse(pattern: re.Pattern[str]) -> Any:
    try:
        return _parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - an unexpected syntax: no filter, never a wrong one
        return None


def _ignores_case(parsed: Any) -> bool:
    return bool(parsed.state.flags & re.IGNORECASE)


def _inner(ignore: bool, group: Any) -> bool:
    """Whether the body of a group ignores case, given its flags and the flags around it."""
    _number, add_flags, del_flags, _body = group
    return (ignore or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE


def _sequence_literals(items: list[Item], ignore: bool) -> frozenset[str] | None:
    """The literals one of which begins every match of ``items``, as long as keeps them few."""
    try:
        for length in _LITERAL_LENGTHS:
            found = _starts((items, 0, None), ignore, length, [_STEPS])
            if found is not None and len(found) <= _MAX_LITERALS:
                return None if "" in found else frozenset(found)
    except _TooLong:
        return None
    except Exception:  # noqa: BLE001 - an unexpected syntax tree: no filter, never a wrong one
        return None
    return None


class _TooLong(Exception):
    """The literals of a pattern of many alternatives took more steps than they are worth."""


def _starts(frame: Frame | None, ignore: bool, room: int, steps: list[int]) -> set[str] | None:
    """Strings (up to ``room`` characters) one of which begins every match from ``frame`` on.

    ``""`` in the result means a match may begin with anything from here on. None means the set
    grew past ``_MAX_LITERALS``. ``steps`` counts down the work allowed (see :class:`_TooLong`).
    """
    steps[0] -= 1
    if steps[0] < 0:
        raise _TooLong
    while frame is not None and frame[1] >= len(frame[0]):
        frame = frame[2]
    if room == 0 or frame is None:
        return {""}
    items, index, outer = frame
    op, av = items[index]
    after = (items, index + 1, outer)
    if op in _ZERO_WIDTH:  # the match starts after it
        return _starts(after, ignore, room, steps)
    if op is sre.LITERAL or op is sre.IN:
        heads = _chars(op, av)
        if not heads:
            return {""}
        if op is sre.LITERAL:  # a run of plain characters: take it in one step
            head, end = _literal_run(items, index, room)
            heads, after = {head}, (items, end, outer)
        tails = _starts(after, ignore, room - len(next(iter(heads))), steps)
        return heads if tails is None else {head + tail for head in heads for tail in tails}
    if op is sre.BRANCH:
        return _union(_starts((branch.data, 0, after), ignore, room, steps) for branch in av[1])
    if op is sre.SUBPATTERN:
        inner = _inner(ignore, av)
        if inner == ignore:
            return _starts((av[3].data, 0, after), ignore, room, steps)
        return _starts((av[3].data, 0, None), inner, room, steps)  # its flags end with it: stop there
    if op in _REPEATS:
        low, high, body = av
        # After one pass through the body comes what follows the repeat, or (when it may repeat)
        # the body again: then the strings stop at the body's end.
        once = _starts((body.data, 0, after if high == 1 else None), ignore, room, steps)
        return once if low > 0 else _union([once, _starts(after, ignore, room, steps)])
    return {""}


def _literal_run(items: list[Item], index: int, room: int) -> tuple[str, int]:
    """The folded characters of the LITERAL items from ``index`` on (at most ``room``), and where
    they end."""
    run = ""
    while index < len(items) and len(run) < room and items[index][0] is sre.LITERAL:
        char = _char(items[index][1])
        if char is None:
            break
        run += char
        index += 1
    return run, index


def _chars(op: Any, av: Any) -> set[str] | None:
    """The characters (folded) a LITERAL or a small, plain character class matches, when each is
    ASCII or has no case; None otherwise."""
    if op is sre.LITERAL:
        char = _char(av)
        return {char} if char is not None else None
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
    return {c.lower() for c in chars}


@lru_cache(maxsize=1024)
def _char(code: int) -> str | None:
    char = chr(code)
    return char.lower() if char.isascii() or _uncased(char) else None


def _uncased(char: str) -> bool:
    """True for a character with no other case (``€``, ``—``): it matches itself only, and folds to itself."""
    return char.lower() == char == char.upper()


def _union(parts: Any) -> set[str] | None:
    found: set[str] = set()
    for part in parts:
        if part is None:
            return None
        if "" in part:  # a match may begin with anything: the other parts cannot narrow that
            return {""}
        found |= part
        if len(found) > _MAX_LITERALS:
            return None
    return found
