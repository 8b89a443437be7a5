"""The literal pre-check skips only searches that cannot match: every answer is the pattern's own."""

from __future__ import annotations

import json
import random
import re

import _sre
import pytest

from conftest import EXAMPLE, FIXTURES, REPO
from pm_agent.analysis import impact
from pm_agent.textscan import prefilter
from pm_agent.analysis import timeline
from pm_agent.analysis.causes import rules as cause_rules
from pm_agent.textscan.prefilter import QuickPattern, fold, quick
from pm_agent.textscan.regex_literals import needed_literals, start_literals

EVERY_CHARACTER = "".join(chr(code) for code in range(0x110000))


@pytest.fixture(autouse=True)
def warmed_up(monkeypatch):
    """The shared literal scan in use from the first question (a process normally warms up first)."""
    monkeypatch.setattr(prefilter, "_possible", prefilter._possible_scanned)


def test_every_character_ignorecase_takes_for_an_ascii_character_folds_to_it():
    for code in range(128):
        char = chr(code)
        for match in re.finditer(re.escape(char), EVERY_CHARACTER, re.IGNORECASE):
            assert fold(match.group()) == char.lower(), (char, match.group())


def test_a_character_without_case_is_one_the_regex_engine_matches_only_to_itself():
    # _sre.unicode_iscased is what re's compiler asks before it emits a case-insensitive literal.
    for char in EVERY_CHARACTER:
        if char.lower() == char == char.upper():
            assert not _sre.unicode_iscased(ord(char)), hex(ord(char))


def test_folding_maps_the_special_case_letters_and_keeps_the_length_of_plain_text():
    assert fold("\u0130NCIDENT \u0131d \u017fev \u212aafka") == "incident id sev kafka"
    assert fold("Deploy ROLLED back") == "deploy rolled back"


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"\b(deploy\w*|roll(ed)?out)\b", {"deploy", "rollout", "rolledout"}),
        (r"(?i)\bFooBar", {"foobar"}),
        (r"(ab)+c", {"ab"}),  # a repeat may be followed by itself: the literal stops at its end
        (r"a?bc", {"abc", "bc"}),
        (r"a*bc", {"a", "bc"}),  # what follows a repeat may be the repeat again
        (r"x*y", {"x", "y"}),
        (r"(?i:Foo)Bar", {"foo"}),  # the flag ends with the group
        (r"(?<!\w)x[yz]", {"xy", "xz"}),
        (r"[$€]\d", {"$", "€"}),
    ],
)
def test_literals_are_read_off_the_pattern(pattern, literals):
    assert start_literals(re.compile(pattern)) == literals


def test_the_needed_literals_are_the_rarest_sets_a_match_must_hold_a_string_of():
    needs = needed_literals(re.compile(r"\b(?:[Aa]n?\s+)?(?i:careless|sloppy)\s+mistake"))
    assert needs == ({"mistake"}, {"careless", "sloppy"}, {"a", "careless", "sloppy"})
    assert needed_literals(re.compile(r"(?P<who>\w+)\s+(?:should|could)\s+have"))[0] == {"should", "could"}
    assert needed_literals(re.compile(r"\w+\s(?:x|\d)\s\w+")) == ()


@pytest.mark.parametrize("pattern", [r"\S+foo", r"(a|\w)c", r"[^.]{0,5}z", r"\bé", r"(?P<n>\d+) users"])
def test_a_pattern_that_can_start_anywhere_gets_no_literals(pattern):
    assert start_literals(re.compile(pattern)) is None


TRICKY = [
    r"\b(deploy\w*|roll(ed|ing)?[- ]?out)\b",
    r"(?i)\b(ab)+c",
    r"a?b(?:cd|ce)",
    r"(?i:Foo)Bar",
    r"Foo(?i:bar)",
    r"\bK[ai]s+",
    r"(?<![\w.])(x|yz)\b",
    r"(?i)s[kt]y",
]


@pytest.mark.parametrize("pattern", TRICKY)
def test_a_quick_pattern_answers_like_the_pattern_on_random_text(pattern):
    rng = random.Random(pattern)
    alphabet = "abcdefikorstuxyzABFIKORSXYZ -.\u0130\u0131\u017f\u212a€$"
    raw, fast = re.compile(pattern), quick(pattern)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert [m.span() for m in raw.finditer(text)] == [m.span() for m in fast.finditer(text)], text
        assert bool(raw.search(text)) == bool(fast.search(text))
        assert raw.findall(text) == fast.findall(text)
        assert raw.sub("_", text) == fast.sub("_", text)


@pytest.mark.parametrize("pattern", TRICKY)
def test_in_a_long_text_a_quick_pattern_finds_the_same_matches(pattern):
    rng = random.Random(pattern)
    pieces = ["deploy", "rolled out", "roll-out", "ab", "abc", "cd", "ce", "Foo", "bar", "BAR", "Kiss", "x", "yz", "sky"]
    alphabet = "abcdefikorstuxyzABFIKORSXYZ -.\u0130\u0131\u017f\u212a€$\n"
    raw, fast = re.compile(pattern), quick(pattern)
    for _ in range(60):
        text = "".join(
            rng.choice(pieces) if rng.random() < 0.3 else rng.choice(alphabet) for _ in range(rng.randint(300, 1200))
        )
        assert len(text) > 512 or not text
        assert [m.span() for m in raw.finditer(text)] == [m.span() for m in fast.finditer(text)]
        assert raw.findall(text) == fast.findall(text)
        found = raw.search(text)
        assert (found and found.span()) == ((m := fast.search(text)) and m.span())


def _engine_patterns() -> list[QuickPattern]:
    found = [value for value in vars(cause_rules).values() if isinstance(value, QuickPattern)]
    found += [pattern for rules in cause_rules.CATEGORY_RULES.values() for pattern, _ in rules]
    found += list(impact.NEEDS.values()) + [impact.ANY_NEED]
    return found


def _texts() -> list[str]:
    texts = [e["text"] for e in json.loads(EXAMPLE.read_text())["events"]]
    for path in sorted((REPO / "evals" / "cases").glob("*/*")) + sorted((FIXTURES / "inputs").rglob("*.*")):
        texts += path.read_text(encoding="utf-8", errors="replace").splitlines()
    return texts


def test_the_engines_patterns_answer_as_before_on_the_fixtures():
    patterns = _engine_patterns()
    assert len(patterns) > 80
    assert sum(bool(p._literals) for p in patterns) > 0.8 * len(patterns)  # most do get a pre-check
    rng = random.Random(7)
    texts = sorted(set(_texts()))
    texts += ["".join(c.upper() if rng.random() < 0.3 else c for c in text) for text in rng.sample(texts, 300)]
    chunks = ["\n".join(texts[i : i + 40]) for i in range(0, len(texts), 40)]  # long texts take another path
    for pattern in patterns:
        for text in texts + chunks:
            assert bool(pattern.compiled.search(text)) == bool(pattern.search(text)), (pattern, text)
            assert pattern.compiled.findall(text) == pattern.findall(text)
        for text in chunks:
            assert [m.span() for m in pattern.compiled.finditer(text)] == [m.span() for m in pattern.finditer(text)]


def test_a_quick_pattern_shows_the_patterns_attributes():
    pattern = quick(r"(?P<word>deploy)", re.IGNORECASE)
    assert pattern.pattern == "(?P<word>deploy)" and pattern.flags & re.IGNORECASE
    assert pattern.groupindex == {"word": 1}
    assert pattern.search("a Deploy")["word"] == "Deploy"
    assert pattern.search("nothing") is None
