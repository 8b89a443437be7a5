"""The fast path gives the answers of the plain patterns it stands in for: phrase scans, the blame rules'
trigger words, the blame sentence check. (Drafts of 10,000 events are timed by bench/bench_draft.py.)"""

from __future__ import annotations

import datetime as dt
import json
import random
import re

import pytest
from conftest import FIXTURES, REPO, SHARED_DATA

from pm_agent.analysis import impact
from pm_agent.analysis.blameless import rewrite as blameless
from pm_agent.analysis.blameless import rules_cause as blame_rules_cause
from pm_agent.analysis.blameless import rules_counterfactual as blame_rules_counterfactual
from pm_agent.analysis.blameless import rules_idioms as blame_rules_idioms
from pm_agent.analysis.blameless import rules_words as blame_rules_words
from pm_agent.analysis.blameless.clauses import Guarded, _triggered
from pm_agent.analysis.rubric.text import Signals
from pm_agent.ingest import merge
from pm_agent.ingest.merge import collapse_duplicates
from pm_agent.models import SourceRef, TimelineEvent
from pm_agent.resources import resource_path
from pm_agent.textscan import words as words_module
from pm_agent.textscan.phrase_scan import phrase_pattern, phrase_scan
from pm_agent.textscan.words import fold

RUBRIC_LISTS = sorted(
    {
        tuple(phrases)
        for c in json.loads(resource_path("rubric.json").read_text())["criteria"]
        for phrases in c.get("signals", {}).values()
    }
)
DOCUMENTS = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "postmortems").glob("*.md"))]
DOCUMENTS += [p.read_text(encoding="utf-8") for p in sorted((SHARED_DATA / "fulltext").glob("*.md"))][:4]
DOCUMENTS.append((REPO / "README.md").read_text(encoding="utf-8"))


def _spans(matches) -> list[tuple[tuple[int, int], str]]:
    return [(m.span(), m.group()) for m in matches]


# --- phrase scans ---------------------------------------------------------------------------------


@pytest.fixture
def scan_every_text(monkeypatch):
    """The scan also for short texts (by default they go to the phrase pattern itself)."""
    monkeypatch.setattr(words_module, "_LONG", 0)


def test_a_phrase_scan_finds_what_the_phrase_pattern_finds_in_real_documents(scan_every_text):
    for phrases in RUBRIC_LISTS:
        scan, pattern = phrase_scan(phrases), phrase_pattern(phrases)
        for document in DOCUMENTS:
            assert _spans(scan.finditer(document)) == _spans(pattern.finditer(document)), phrases


def test_a_phrase_occurs_exactly_when_some_phrase_is_found():
    rubric = json.loads(resource_path("rubric.json").read_text())
    for criterion in rubric["criteria"]:
        signals = Signals(criterion["id"], criterion.get("signals", {}))
        for key in signals.lists:
            for document in DOCUMENTS:
                assert signals.occurs(key, document) == bool(signals.found(key, document)), (key, criterion["id"])


PHRASES = [
    "we ",
    "were",
    "roll",
    "rollback",
    "roll back",
    "root cause",
    "root",
    "post-mortem",
    "a",
    "ab",
    "s",
    "ki",
    "$",
    "[insert",
    "candidate:",
    "kiss",
    "x-y",
    " we",
    "is",
    "dé",
]


def test_a_phrase_scan_keeps_the_patterns_order_and_preferences_on_random_text(scan_every_text):
    rng = random.Random(11)
    for _ in range(3000):
        phrases = tuple(rng.sample(PHRASES, rng.randint(1, 7)))
        words = [rng.choice(PHRASES + ["x", "-", ":", "\n", "  "]) for _ in range(rng.randint(0, 12))]
        text = "".join(
            w.upper()
            if rng.random() < 0.2
            else w.replace("s", "\u017f").replace("i", "\u0130")
            if rng.random() < 0.1
            else w
            for w in words
        )
        assert _spans(phrase_scan(phrases).finditer(text)) == _spans(phrase_pattern(phrases).finditer(text)), text


# --- the blame sentence check ---------------------------------------------------------------------

# Patterns in the rule modules that only look around a match a guarded pattern already found; a
# new pattern a rule can start from must be a Guarded or add its words to UNGUARDED_NEEDS.
LOOKAROUND_HELPERS = {
    "_ROLE_AFTER",
    "_META_BEFORE",
    "_META_AFTER",
    "_USER_ERROR_FRAMED",
    "_SURE_HARM",
    "ROLE_RE",
    "TECHNICAL_COLLOCATIONS",
    "HARM_WORDS",
    # blame_rules_idioms: what follows an idiom a Guarded pattern found, and the clause before its agent
    "_AND_ACTION",
    "_AND_CLAUSE",
    "_SEPARATOR",
    "_NEEDS_ANTECEDENT",
    "_SUBORDINATE",
    "_PREPOSITION",
    "_WHEN_ACTION",
    "_ON_GERUND",
    "_ON_THING",
}
UNGUARDED = {"_ANY_JUDGEMENT", "_FAT_FINGER"}


def test_every_pattern_a_rule_starts_from_is_guarded_or_declared_unguarded():
    for module in (blame_rules_words, blame_rules_cause, blame_rules_counterfactual, blame_rules_idioms):
        plain = {name for name, value in vars(module).items() if isinstance(value, re.Pattern)}
        assert plain <= LOOKAROUND_HELPERS | UNGUARDED, (module.__name__, plain - LOOKAROUND_HELPERS - UNGUARDED)
    words = {w for w in blame_rules_words.JUDGEMENT_ADJECTIVES}
    assert set(blame_rules_words.UNGUARDED_NEEDS) == words | {"fat"}
    assert all(re.fullmatch(r"[a-z-]+", word) for word in words)  # plain literals in _ANY_JUDGEMENT


def _sentences() -> list[str]:
    rows = [json.loads(line) for line in (REPO / "evals/datasets/blameless.jsonl").read_text().splitlines() if line]
    found = [row["text"] for row in rows]
    for document in DOCUMENTS:
        found += [document[start:end] for start, end in blameless._sentences(document)]
    return found


def _real_sentences() -> list[str]:
    """Every sentence of the real incidents beside the checkout (none when they are absent)."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((SHARED_DATA / "fulltext").glob("*.md"))]
    incidents = SHARED_DATA / "incidents.jsonl"
    if incidents.is_file():
        rows = [json.loads(line) for line in incidents.read_text(encoding="utf-8").splitlines() if line.strip()]
        texts += [f"{row['title']}. {row.get('summary') or ''}" for row in rows]
    return [text[start:end] for text in texts for start, end in blameless._sentences(text)]


def test_a_sentence_the_quick_check_skips_is_one_no_rule_finds_anything_in():
    skipped = 0
    for sentence in _sentences():
        hits = [hit for rule in blameless._RULES for hit in rule(sentence)]
        if not blameless._may_blame(sentence):
            skipped += 1
            assert hits == [], sentence
    assert skipped > 100


def test_the_guarded_trigger_index_agrees_with_each_patterns_own_words():
    count = len(Guarded._every)
    for sentence in _sentences()[:400]:
        words = " " + " ".join(re.findall(r"[\w’'-]+", sentence.lower())) + " "
        for guard in Guarded._every:
            triggered = guard._index in _triggered(sentence, count)
            assert triggered == any(key in words for key in guard.needs), (guard._source, sentence)


def test_every_blame_rule_finds_what_it_finds_with_every_pattern_run_on_every_sentence(monkeypatch):
    """What the trigger words skip, the plain patterns would not have found: the rules answer as without them."""
    sentences = _sentences() + _real_sentences()
    skipped = sum(guard._index not in _triggered(s, len(Guarded._every)) for s in sentences for guard in Guarded._every)
    guarded = [[rule(sentence) for rule in blameless._RULES] for sentence in sentences]
    monkeypatch.setattr(Guarded, "_may_match", lambda self, text: True)
    plain = [[rule(sentence) for rule in blameless._RULES] for sentence in sentences]
    assert guarded == plain
    assert skipped > 0.8 * len(sentences) * len(Guarded._every)  # most patterns are skipped on most sentences


def test_a_text_the_impact_words_skip_is_one_no_impact_pattern_finds_a_figure_in():
    texts = [e["text"] for e in json.loads((REPO / "examples" / "payments-outage.json").read_text())["events"]]
    for path in sorted((REPO / "evals" / "cases").glob("*/*")) + sorted((FIXTURES / "inputs").rglob("*.*")):
        texts += path.read_text(encoding="utf-8", errors="replace").splitlines()
    texts += _sentences() + _real_sentences()
    texts += [text.upper() for text in texts[:500]]
    skipped = 0
    for text in texts:
        needed = impact.NEEDS.keys_in(fold(text))
        for kind, _unit, pattern in impact.PATTERNS:
            if kind not in needed:
                skipped += 1
                assert pattern.search(text) is None, (kind, text)
    assert skipped > 0.8 * len(texts) * len(impact.PATTERNS)


# --- near-duplicate events --------------------------------------------------------------------


def test_collapsing_duplicates_through_the_word_index_keeps_what_the_plain_scan_keeps(monkeypatch):
    rng = random.Random(5)
    words = ["restarted", "the", "api", "pods", "rollback", "started", "db", "failover", "error", "rate", "12%", "x"]
    start = dt.datetime(2024, 3, 1, 14, 0, tzinfo=dt.UTC)
    for _ in range(40):
        events = sorted(
            (
                TimelineEvent(
                    at=start + dt.timedelta(seconds=rng.randrange(0, 900, 15)),
                    source=rng.choice(["chat", "alert"]),
                    text=" ".join(rng.choice(words) for _ in range(rng.randint(1, 5))),
                    refs=[SourceRef(file=f"f{rng.randint(1, 3)}", locator=str(i))],
                )
                for i in range(rng.randint(1, 60))
            ),
            key=lambda e: e.at,
        )
        fast = collapse_duplicates(events)
        with monkeypatch.context() as patch:
            patch.setattr(merge._TwinIndex, "find", lambda self, e, t, kept, w: merge._find_twin(e, t, kept, w))
            plain = collapse_duplicates(events)
        assert [e.model_dump() for e in fast] == [e.model_dump() for e in plain]
