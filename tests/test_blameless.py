"""The blameless-language engine: blame found, rewritten toward the system, every fact kept.

The labelled set (evals/datasets/blameless.jsonl) was written before the detector; the rules it
follows are in the docstring of pm_agent.engines.blameless.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pm_agent.engines.blameless import WHY, detect_blame, fact_tokens, is_blameful, rewrite_blameless
from pm_agent.models import BlameFinding, BlamelessReport

DATASET = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "blameless.jsonl"
CATEGORIES = ("person_as_cause", "counterfactual", "character_judgement", "human_error", "hindsight", "role_blame")
ROWS = [json.loads(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line.strip()]
BLAMEFUL = [row for row in ROWS if row["blameful"]]
NEUTRAL = [row for row in ROWS if not row["blameful"]]


def missing_facts(original: str, rewritten: str) -> list[str]:
    """Fact tokens of ``original`` that ``rewritten`` lost (counting repeats)."""
    return sorted((Counter(fact_tokens(original)) - Counter(fact_tokens(rewritten))).elements())


# --- the labelled set ------------------------------------------------------------------------------


def test_labelled_set_is_large_balanced_and_covers_every_category():
    per_category = Counter(category for row in BLAMEFUL for category in row["categories"])
    assert len(ROWS) >= 160
    assert len({row["id"] for row in ROWS}) == len(ROWS)
    assert 0.4 <= len(BLAMEFUL) / len(ROWS) <= 0.6
    assert {category: per_category[category] >= 10 for category in CATEGORIES} == dict.fromkeys(CATEGORIES, True)
    assert [row["id"] for row in NEUTRAL if row["categories"]] == []
    assert [(row["id"], fact) for row in ROWS for fact in row["facts"] if fact not in row["text"]] == []


def test_detector_reaches_precision_and_recall_of_0_9_on_the_labelled_set():
    flagged = {row["id"]: bool(detect_blame(row["text"])) for row in ROWS}
    true_positives = sum(flagged[row["id"]] for row in BLAMEFUL)
    false_positives = [row["text"] for row in NEUTRAL if flagged[row["id"]]]
    misses = [row["text"] for row in BLAMEFUL if not flagged[row["id"]]]
    precision = true_positives / max(1, true_positives + len(false_positives))
    recall = true_positives / len(BLAMEFUL)
    report = f"precision={precision:.3f} recall={recall:.3f}; false positives={false_positives}; misses={misses}"
    assert precision >= 0.9 and recall >= 0.9, report


def test_detector_names_the_labelled_categories():
    counts = {category: Counter() for category in CATEGORIES}
    for row in ROWS:
        found = {finding.category for finding in detect_blame(row["text"])}
        for category in CATEGORIES:
            labelled = category in row["categories"]
            outcome = {(True, True): "tp", (False, True): "fp", (True, False): "fn"}.get((labelled, category in found))
            if outcome:
                counts[category][outcome] += 1
    scores = {
        category: (
            round(c["tp"] / max(1, c["tp"] + c["fp"]), 3),
            round(c["tp"] / max(1, c["tp"] + c["fn"]), 3),
        )
        for category, c in counts.items()
    }
    assert all(precision >= 0.9 and recall >= 0.9 for precision, recall in scores.values()), scores


def test_fact_tokens_find_every_fact_listed_in_the_set():
    unfound = [(row["id"], fact) for row in ROWS for fact in row["facts"] if fact not in fact_tokens(row["text"])]
    assert unfound == []


def test_rewrites_of_blameful_sentences_keep_every_fact():
    lost = {}
    for row in BLAMEFUL:
        rewritten = rewrite_blameless(row["text"]).rewritten
        listed = [fact for fact in row["facts"] if fact not in rewritten]
        if listed or missing_facts(row["text"], rewritten):
            lost[row["id"]] = (rewritten, listed, missing_facts(row["text"], rewritten))
    preserved = 1 - len(lost) / len(BLAMEFUL)
    assert lost == {}, f"fact preservation {preserved:.3f}"


def test_rewrites_of_blameful_sentences_are_no_longer_flagged():
    still_blameful = {}
    for row in BLAMEFUL:
        rewritten = rewrite_blameless(row["text"]).rewritten
        if detect_blame(rewritten):
            still_blameful[row["id"]] = (rewritten, [f.text for f in detect_blame(rewritten)])
    assert still_blameful == {}


def test_neutral_sentences_come_back_unchanged():
    changed = [row["text"] for row in NEUTRAL if rewrite_blameless(row["text"]).rewritten != row["text"]]
    assert changed == []


def test_every_finding_span_indexes_into_its_text():
    paragraphs = [" ".join(row["text"] for row in ROWS[i : i + 5]) for i in range(0, len(ROWS), 5)]
    texts = [row["text"] for row in ROWS] + paragraphs
    misplaced = [
        (f.text, text[f.start : f.end]) for text in texts for f in detect_blame(text) if text[f.start : f.end] != f.text
    ]
    assert misplaced == []


# --- behaviour named in the brief ------------------------------------------------------------------


def test_rewrite_moves_the_subject_from_person_to_system():
    text = "Bob pushed an unvalidated config to production, which caused the outage."
    assert rewrite_blameless(text).rewritten == (
        "An unvalidated config reached production through the deploy pipeline, which caused the outage."
    )


def test_a_missed_alert_becomes_an_alert_that_led_to_no_response():
    text = "The on-call engineer failed to notice the alert at 14:05."
    suggestion = "The alert at 14:05 did not lead to a response."
    assert detect_blame(text) == [
        BlameFinding(
            start=0,
            end=20,
            text="The on-call engineer",
            category="role_blame",
            why=WHY["role_blame"],
            suggestion=suggestion,
        ),
        BlameFinding(
            start=0,
            end=37,
            text="The on-call engineer failed to notice",
            category="counterfactual",
            why=WHY["counterfactual"],
            suggestion=suggestion,
        ),
    ]


def test_human_error_becomes_a_process_that_allowed_the_action():
    report = rewrite_blameless("This was human error.")
    assert (report.rewritten, [(f.category, f.text) for f in report.findings]) == (
        "The process allowed this action without a safeguard.",
        [("human_error", "human error")],
    )


def test_a_persons_change_as_cause_keeps_the_change_and_drops_the_person():
    assert rewrite_blameless("Bob's change to `cart-service` at 14:02 caused the outage.").rewritten == (
        "The change to `cart-service` at 14:02 caused the outage."
    )


def test_caused_by_a_person_becomes_an_action_no_safeguard_stopped():
    assert rewrite_blameless("The outage was caused by Alice.").rewritten == (
        "The outage was caused by an action that no safeguard stopped."
    )


def test_a_judgement_of_character_is_dropped_and_the_action_kept():
    assert rewrite_blameless("The careless intern deleted the `assets` bucket at 09:12.").rewritten == (
        "The intern deleted the `assets` bucket at 09:12."
    )


@pytest.mark.parametrize(
    "text",
    [
        "The deploy failed.",
        "The health check should have returned 200.",
        "The job failed to start because the disk was full.",
        "The on-call engineer acknowledged the page at 14:05.",
        "Alice restarted the pod at 14:10 and latency recovered.",
        "We simply lacked an alert for this.",
        "The cache failed to warm.",
        "The script should have retried.",
        "The outage started when Bob deployed v1.2.0 at 09:00.",
        "The Datadog agent failed to ship logs after the upgrade to 7.50.",
    ],
)
def test_near_misses_are_left_alone(text):
    assert rewrite_blameless(text) == BlamelessReport(original=text, rewritten=text, findings=[])


def test_only_the_blameful_sentences_of_a_paragraph_change():
    text = (
        "## Timeline\n"
        "- 14:05 Bob deployed v2.3.1 to `checkout`.\n"
        "- 14:07 Errors spiked to 12%.  Dave should have rolled back the deploy at 14:08!\n"
        "- 14:20 Latency recovered."
    )
    report = rewrite_blameless(text)
    assert report.rewritten == (
        "## Timeline\n"
        "- 14:05 Bob deployed v2.3.1 to `checkout`.\n"
        "- 14:07 Errors spiked to 12%.  The deploy was not rolled back at 14:08!\n"
        "- 14:20 Latency recovered."
    )
    assert [(f.category, f.text, text[f.start : f.end]) for f in report.findings] == [
        ("counterfactual", "Dave should have rolled", "Dave should have rolled")
    ]


def test_empty_text_has_no_findings_and_rewrites_to_itself():
    assert (detect_blame(""), rewrite_blameless(""), is_blameful("")) == (
        [],
        BlamelessReport(original="", rewritten="", findings=[]),
        False,
    )


def test_unicode_names_curly_apostrophes_and_emoji_keep_spans_and_facts():
    text = "Zoë restarted `cache-eu` in São Paulo 🚀. José’s script wiped `ledger` at 04:00, which caused 502s."
    report = rewrite_blameless(text)
    assert report.rewritten == (
        "Zoë restarted `cache-eu` in São Paulo 🚀. The script wiped `ledger` at 04:00, which caused 502s."
    )
    assert [(f.category, text[f.start : f.end]) for f in report.findings] == [
        ("person_as_cause", "José’s script wiped")
    ]


def test_a_fact_named_inside_a_role_survives_the_rewrite():
    text = "The `checkout` on-call engineer failed to notice the alert at 14:05."
    assert rewrite_blameless(text).rewritten == "The alert at 14:05 did not lead to a response (`checkout`)."


def test_is_blameful_answers_for_whole_texts():
    answers = [
        is_blameful("Latency recovered at 14:20. Obviously, the DBA should have seen it coming."),
        is_blameful("Latency recovered at 14:20. Alice closed the incident."),
    ]
    assert answers == [True, False]


# --- fact tokens -----------------------------------------------------------------------------------


def test_fact_tokens_keep_systems_and_leave_out_people():
    text = (
        "Alice and Priya saw PgBouncer on db-prod-3 reject 1,200 connections at 14:05 after "
        "PR #4512 (v2.3.1, INC-42) hit api.example.com and `payments-api`; Kafka lag hit 40%."
    )
    assert fact_tokens(text) == [
        "PgBouncer",
        "db-prod-3",
        "1,200",
        "14:05",
        "PR #4512",
        "v2.3.1",
        "INC-42",
        "api.example.com",
        "`payments-api`",
        "Kafka",
        "40%",
    ]


def test_fact_tokens_do_not_mistake_roles_or_blame_terms_for_facts():
    assert fact_tokens("The on-call DBA called it PEBKAC, a layer 8 issue, in a hard-coded follow-up.") == []


# --- real postmortems nobody on the project wrote -------------------------------------------------


@pytest.mark.shared_data
def test_real_postmortems_keep_every_fact_when_rewritten(shared_data):
    lost = {}
    for path in sorted((shared_data / "fulltext").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        missing = missing_facts(text, rewrite_blameless(text).rewritten)
        if missing:
            lost[path.name] = missing
    assert lost == {}
