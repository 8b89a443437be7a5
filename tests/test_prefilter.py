"""The word scan skips only searches that cannot match: every answer is the pattern's own."""

from __future__ import annotations

import json
import random
import re

import pytest
from conftest import FIXTURES, REPO, SHARED_DATA
from guards import finishes_in_reasonable_time

from pm_agent.analysis.causes import rules as cause_rules
from pm_agent.analysis.rubric import practice, reading
from pm_agent.resources import resource_path
from pm_agent.textscan import words as words_module
from pm_agent.textscan.phrase_scan import phrase_pattern, phrase_scan
from pm_agent.textscan.words import StartWords, WordIndex, fold, leading_words, literal_pattern

EVERY_CHARACTER = "".join(chr(code) for code in range(0x110000))


@pytest.fixture
def scan_every_text(monkeypatch):
    """The word scan also for short texts (by default they go to the pattern itself)."""
    monkeypatch.setattr(words_module, "_LONG", 0)


def _spans(matches) -> list[tuple[tuple[int, int], str]]:
    return [(m.span(), m.group()) for m in matches]


def test_every_character_ignorecase_takes_for_an_ascii_character_or_a_currency_sign_folds_to_it():
    for char in [chr(code) for code in range(128)] + ["€", "£"]:  # the impact figures' words hold both signs
        for match in re.finditer(re.escape(char), EVERY_CHARACTER, re.IGNORECASE):
            assert fold(match.group()) == char.lower(), (char, match.group())


def test_folding_maps_the_special_case_letters_and_keeps_the_length_of_plain_text():
    assert fold("\u0130NCIDENT \u0131d \u017fev \u212aafka") == "incident id sev kafka"
    assert fold("Deploy ROLLED back") == "deploy rolled back"


def test_a_literal_pattern_matches_the_longest_of_its_literals_at_a_position():
    pattern = re.compile(literal_pattern(["roll", "rollback", "rolled", "a.b", "x"]))
    assert [m.group() for m in pattern.finditer("rollback rolled roll a.b axb x")] == [
        "rollback",
        "rolled",
        "roll",
        "a.b",
        "x",
        "x",
    ]


def test_a_word_index_finds_every_position_where_a_keys_word_starts_with_the_keys_of_all_words_there():
    rng = random.Random(3)
    vocabulary = ["roll", "rollback", "back", "ck", "a", "ab", "b", " by ", " by", "y"]
    for _ in range(500):
        words_of = {key: rng.sample(vocabulary, rng.randint(1, 3)) for key in range(rng.randint(1, 5))}
        text = "".join(rng.choice(vocabulary + ["x", " ", "r"]) for _ in range(rng.randint(0, 15)))
        expected = [
            (at, frozenset(key for key, words in words_of.items() if any(text.startswith(w, at) for w in words)))
            for at in range(len(text))
        ]
        index = WordIndex(words_of)
        assert list(index.occurrences(text)) == [(p, keys) for p, keys in expected if keys], (words_of, text)
        assert index.keys_in(text) == frozenset().union(*(keys for _, keys in expected)), (words_of, text)


def test_an_empty_word_is_refused_rather_than_found_everywhere():
    with pytest.raises(ValueError, match="empty word"):
        WordIndex({"rule": ["should", ""]})


# Patterns whose every match starts with one of the words given beside them.
STARTING = [
    (r"\b(deploy\w*|roll(ed|ing)?[- ]?out)\b", ["deploy", "roll"], re.I),
    (r"(?i)\b(ab)+c", ["ab"], 0),
    (r"a?b(?:cd|ce)", ["a", "b"], 0),
    (r"(?i:Foo)Bar", ["foo"], 0),
    (r"\bK[ai]s+", ["ka", "ki"], re.I),
    (r"(?<![\w.])(x|yz)\b", ["x", "yz"], 0),
    (r"(?i)s[kt]y", ["sk", "st"], 0),
    (r"(?<!\w)(?:sky|s)(?!\w)\s*\d", ["s"], re.I),
]
PIECES = [
    "deploy",
    "rolled out",
    "roll-out",
    "ab",
    "abc",
    "cd",
    "ce",
    "Foo",
    "bar",
    "BAR",
    "Kiss",
    "x",
    "yz",
    "sky",
    "s 4",
]
ALPHABET = "abcdefikorstuxyzABFIKORSXYZ -.\u0130\u0131\u017f\u212a€$\n4"


@pytest.mark.parametrize(("pattern", "words", "flags"), STARTING)
def test_a_pattern_searched_from_its_start_words_finds_what_the_pattern_finds_on_random_text(
    pattern, words, flags, scan_every_text
):
    rng = random.Random(pattern)
    raw = re.compile(pattern, flags)
    fast = StartWords(raw, words)
    for _ in range(1500):
        text = "".join(
            rng.choice(PIECES) if rng.random() < 0.3 else rng.choice(ALPHABET) for _ in range(rng.randint(0, 40))
        )
        assert _spans(fast.finditer(text)) == _spans(raw.finditer(text)), text
        found = fast.search(text)
        assert (found and found.span()) == ((m := raw.search(text)) and m.span()), text


def test_a_long_text_is_searched_from_the_start_words_and_a_short_one_by_the_pattern_alone():
    pattern = re.compile(r"(?<!\w)roll(?:ed)?\s+back", re.I)
    text = "x" * 5000 + " ROLLED back, rolled  back; enrolled back"
    assert _spans(StartWords(pattern, ["roll"]).finditer(text)) == _spans(pattern.finditer(text))
    assert [m.group() for m in StartWords(pattern, ["roll"]).finditer(text)] == ["ROLLED back", "rolled  back"]


def test_words_that_are_not_ascii_or_a_text_whose_folding_changes_its_length_leave_the_search_to_the_pattern(
    scan_every_text,
):
    pattern = re.compile(r"(?i)é\w+|\bx\w*")
    assert _spans(StartWords(pattern, ["é", "x"]).finditer("Éa xé éb")) == _spans(pattern.finditer("Éa xé éb"))
    dotted = re.compile(r"(?i)\bid\b")
    text = "\u0130D ﬃ id"  # "ﬃ".lower() keeps its length, "İ" folds to "i": the copy lines up
    assert _spans(StartWords(dotted, ["id"]).finditer(text)) == _spans(dotted.finditer(text))


@pytest.mark.parametrize("unit", ["root ", "root\n", "roll back ", "rollback", "r"])
def test_a_long_text_of_nothing_but_start_words_is_searched_in_linear_time(unit):
    phrases = ("root cause", "rollback", "roll back", "rolled back", "root", "r x")
    text = unit * (400_000 // len(unit))
    with finishes_in_reasonable_time(30):
        assert _spans(phrase_scan(phrases).finditer(text)) == _spans(phrase_pattern(phrases).finditer(text))


def _documents() -> list[str]:
    found = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "postmortems").glob("*.md"))]
    found += [p.read_text(encoding="utf-8") for p in sorted((SHARED_DATA / "fulltext").glob("*.md"))]
    return [*found, (REPO / "README.md").read_text(encoding="utf-8")]


def test_the_rubrics_metric_patterns_find_what_their_plain_patterns_find_in_real_documents(scan_every_text):
    rubric = json.loads(resource_path("rubric.json").read_text())
    lists = [
        c["signals"][key] for c in rubric["criteria"] for key in c.get("signals", {}) if key.endswith("metric_terms")
    ]
    assert lists
    for terms in lists:
        scan = practice._metric_pattern(tuple(terms))
        for document in _documents():
            assert _spans(scan.finditer(document)) == _spans(scan.pattern.finditer(document)), terms


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (r"\b(deploy\w*|roll(ed|ing)?[- ]?out)\b", {"deploy", "roll"}),
        (r"\bconfig(uration)?s?\b|\bconfigur(ed|ing)\b", {"config", "configur"}),
        (r"\bmis-?configur\w*", {"mis"}),  # a character a quantifier makes optional ends the word before it
        (r"\b(data ?cent(er|re)|facility)\b", {"data", "facility"}),
        (r"\bci/?cd\b|\bcontinuous (delivery|deployment)", {"ci", "continuous "}),
        (r"\b(?P<w>Foo|b\.ar)", {"foo", "b.ar"}),
        (r"(ab)+c", {"ab"}),
    ],
)
def test_the_words_a_pattern_opens_with_are_read_off_its_plain_characters(source, words):
    assert leading_words(source) == words


@pytest.mark.parametrize(
    "source", [r"\b[a-z]+_size", r"a?bc", r"(ab)?c", r"(?i)foo", r"\d+ users", r"(?=x)x", r"x|\w", r"(a|[bc])d", r"(a"]
)
def test_a_pattern_that_may_open_otherwise_gets_no_words_and_simply_runs(source):
    assert leading_words(source) is None


def _engine_patterns() -> list[StartWords]:
    found = [pattern for rules in cause_rules.CATEGORY_RULES.values() for pattern, _ in rules]
    return found + [reading.UNCONFIRMED_RE, reading.CAUSAL_RE]


def _texts() -> list[str]:
    texts = [e["text"] for e in json.loads((REPO / "examples" / "payments-outage.json").read_text())["events"]]
    for path in sorted((REPO / "evals" / "cases").glob("*/*")) + sorted((FIXTURES / "inputs").rglob("*.*")):
        texts += path.read_text(encoding="utf-8", errors="replace").splitlines()
    incidents = SHARED_DATA / "incidents.jsonl"
    if incidents.is_file():
        texts += [line for line in incidents.read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


def test_the_engines_keyword_patterns_answer_as_their_plain_patterns_on_real_texts():
    patterns = _engine_patterns()
    assert sum(p._finder is not None for p in patterns) > 0.9 * len(patterns)  # nearly all get a word scan
    rng = random.Random(7)
    texts = sorted(set(_texts()))
    texts += ["".join(c.upper() if rng.random() < 0.3 else c for c in text) for text in rng.sample(texts, 300)]
    chunks = ["\n".join(texts[i : i + 80]) for i in range(0, len(texts), 80)] + _documents()  # long texts
    assert any(len(chunk) > words_module._LONG for chunk in chunks)
    for pattern in patterns:
        for text in texts + chunks:
            assert pattern.findall(text) == pattern.pattern.findall(text), (pattern.pattern, text[:80])
            assert _spans(pattern.finditer(text)) == _spans(pattern.pattern.finditer(text)), pattern.pattern
