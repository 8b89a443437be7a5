"""The words read off a pattern are held by every one of its matches: a text the prefilter skips is one the pattern
could never match, so tagging and the blame rules answer exactly as their plain patterns do."""

from __future__ import annotations

import functools
import json
import re

import pytest
from conftest import REPO, SHARED_DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from pm_agent.analysis import tagging
from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.blameless import rewrite  # noqa: F401  (loads every blame rule)
from pm_agent.analysis.blameless.clauses import Guarded
from pm_agent.textscan.required import WordFilteredPatterns, required_word_sets, required_words
from pm_agent.textscan.words import fold

EVERY_CHARACTER = "".join(chr(code) for code in range(0x110000))

# Made-up event texts, in this test's own words, that say the vocabulary's words in odd places and cases.
MADE_UP = [
    "FAILED to reach the ledger; retried 3x and it TIMED OUT again",
    "Kafka consumer lag 340 s behind, then 12 mins late",
    "ſtatus page updated: we are \u0130NVESTIGATING elevated 503s",
    "ops-bot paged the on\u2011call; no acknowledgement after 10 min",
    "rolled back ledger-api v2.3 \u2014 error rate back under 0.5% as caches expire",
    "Finance reports 1,200 rows deleted from invoices by the retention job",
    "it was Dana\u2019s mistake to push on Friday",
    "the checkout api error on pod 7 again",
    "root cause: the \u212aubernetes node pool was scaled down to 2",
    "follow-up ticket filed; leak to be reproduced in staging",
    "canary analysis FAILED for payments v9; rollout halted automatically",
    "",
]


@functools.cache
def _event_texts() -> list[str]:
    """Every line of the eval cases and the real incidents' inputs: the texts tagging meets."""
    texts = list(MADE_UP)
    for path in sorted((REPO / "evals" / "cases").glob("*/*")):
        texts += path.read_text(encoding="utf-8", errors="replace").splitlines()
    for path in sorted((SHARED_DATA / "fulltext").glob("*.input.json")) if (SHARED_DATA / "fulltext").is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        texts += [e.get("text", "") for e in data.get("events", []) if isinstance(e, dict)]
        texts += str(data.get("notes", "")).splitlines()
    return sorted(set(texts))


def _variants(text: str) -> list[str]:
    """The text as written, shouted, and with the letters re.IGNORECASE takes for ASCII ones."""
    special = text.replace("i", "\u0131").replace("s", "\u017f").replace("K", "\u212a").replace("I", "\u0130")
    return [text, text.upper(), special]


@functools.cache
def _sets(pattern: re.Pattern[str]) -> list[frozenset[str]]:
    return required_word_sets(pattern)


def _holds_every_set(pattern: re.Pattern[str], text: str) -> bool:
    sets = _sets(pattern)
    return all(any(w in fold(m.group()) for w in words) for m in pattern.finditer(text) for words in sets)


def test_every_tag_pattern_and_blame_rule_has_words_read_off_it():
    assert all(required_words(p) for p in vocab.TAG_PATTERNS.values())
    assert sum(bool(required_word_sets(g.pattern)) for g in Guarded._every) == len(Guarded._every)


@pytest.mark.parametrize("tag", sorted(vocab.TAG_PATTERNS))
def test_a_tags_words_are_in_every_text_its_pattern_matches_among_the_eval_and_made_up_texts(tag):
    pattern = vocab.TAG_PATTERNS[tag]
    for text in _event_texts():
        for variant in _variants(text):
            assert _holds_every_set(pattern, variant), (tag, variant)
            if pattern.search(variant):
                assert tag in tagging._TAG_SCAN.candidates(variant), (tag, variant)


@pytest.mark.parametrize("tag", sorted(vocab.TAG_PATTERNS))
@settings(max_examples=25)
@given(data=st.data())
def test_a_tags_prefilter_never_skips_a_text_its_pattern_matches(tag, data):
    pattern = vocab.TAG_PATTERNS[tag]
    text = data.draw(st.from_regex(pattern), label="text")
    assert tag in tagging._TAG_SCAN.candidates(text)
    assert _holds_every_set(pattern, text)


@pytest.mark.parametrize("index", range(len(Guarded._every)))
@settings(max_examples=5)  # their patterns are long: a few texts each
@given(data=st.data())
def test_a_blame_rules_words_are_in_every_text_its_pattern_matches(index, data):
    pattern = Guarded._every[index].pattern
    text = data.draw(st.from_regex(pattern), label="text")
    assert _holds_every_set(pattern, text)


def test_tagging_through_the_word_scan_finds_what_every_pattern_finds_on_the_eval_texts():
    plain = WordFilteredPatterns({})  # no patterns: the reference is the plain loop below
    assert plain.first_matches("anything") == {}
    for text in _event_texts():
        expected = {tag: m.span() for tag, p in vocab.TAG_PATTERNS.items() if (m := p.search(text))}
        found = {tag: m.span() for tag, m in tagging._TAG_SCAN.first_matches(text).items()}
        assert found == expected, text
        assert list(found) == list(expected)  # in the vocabulary's order


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (r"(?<=\w )fail(?:s|ed)?\b", {"fail", "fails", "failed"}),  # after a lookbehind
        (r"\btime(?:d|s)? ?out", {"timeout", "timedout", "timesout", "time out", "timed out", "times out"}),
        (r"\d+\s*(?:ms|s) (?:behind|late)", {"ms behind", "ms late", "s behind", "s late"}),  # after a class
        (r"[Tt]he (?:on-?call|SRE)", {"the on-call", "the oncall", "the sre"}),  # small classes, cases folded
        (r"(?:\w+ly )?(?:KILLED|terminated)\b", {"killed", "terminated"}),  # an optional part is not needed
        (r"(?:a|b\w*)", {"a", "b"}),
        ("Dana[\u2019']s", {"dana\u2019s", "dana's"}),  # punctuation outside ASCII is its own character
    ],
)
def test_the_words_a_pattern_needs_are_read_wherever_they_stand_in_it(source, words):
    assert required_words(source) == frozenset(words)


def test_a_pattern_needing_two_parts_gives_a_set_for_each_the_most_selective_first():
    assert required_word_sets(r"\b(?:his|her)\s+(?:fault|mistake)\b") == [
        frozenset({"fault", "mistake"}),
        frozenset({"his", "her"}),
    ]


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (r"\w+", None),  # nothing plain in it
        (r"(?:deploy)?", None),  # may match nothing
        (r"(a)\1", None),  # a back reference
        (r"\x41BC", None),  # an escape whose length is not read
        (r"(?x) deploy \# comment", None),  # verbose
        (r"\u00e9", None),
        ("é", None),  # a letter with case outside ASCII
        (r"[a-z]+ed", {"ed"}),  # a large class is any character; the letters after it are still needed
    ],
)
def test_what_the_parser_does_not_read_gives_no_words(source, words):
    assert required_words(source) == (None if words is None else frozenset(words))


def test_a_character_outside_ascii_is_kept_only_when_nothing_else_matches_it_even_ignoring_case():
    kept = {c for p in [*vocab.TAG_PATTERNS.values(), *(g.pattern for g in Guarded._every)] for ws in
            required_word_sets(p) for w in ws for c in w if not c.isascii()}  # fmt: skip
    assert kept  # "’" of the blame rules' possessives
    for char in kept:
        assert [m.group() for m in re.finditer(re.escape(char), EVERY_CHARACTER, re.IGNORECASE)] == [char]


_ATOMS = st.sampled_from(
    ["a", "b", "ab", "K", "s", "\u2019", r"\.", "-", " ", "[ab]", "[^a]", "[a-c]", "[Kk]", r"\w", r"\d", r"\s", ".",
     r"\b", "^", "$", "(?=a)", "(?<!b)", "(?!s)"]
)  # fmt: skip
_QUANTIFIERS = st.sampled_from(["", "", "", "?", "*", "+", "{1,2}", "{0,2}", "{2}", "??", "+?"])


@st.composite
def _patterns(draw, depth: int = 2) -> str:
    """A random pattern of the syntax the parser reads: sequences of atoms and groups, alternatives, quantifiers."""
    branches = []
    for _ in range(draw(st.integers(1, 3))):
        items = []
        for _ in range(draw(st.integers(0, 4))):
            atom = draw(_ATOMS) if depth == 0 or draw(st.booleans()) else f"(?:{draw(_patterns(depth - 1))})"
            quantifier = draw(_QUANTIFIERS) if atom not in (r"\b", "^", "$") and not atom.startswith("(?<") else ""
            items.append(atom + quantifier)
        branches.append("".join(items))
    return "|".join(branches)


@settings(max_examples=60)
@given(source=_patterns(), ignore_case=st.booleans(), data=st.data())
def test_on_random_patterns_every_match_holds_a_word_of_each_set(source, ignore_case, data):
    pattern = re.compile(source, re.IGNORECASE if ignore_case else 0)
    text = data.draw(st.from_regex(pattern), label="text")
    assert _holds_every_set(pattern, text), (source, text)
